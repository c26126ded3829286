import { compileIotSql, SqlParseException, topicMatches } from '../../local/iot/iot-sql';

const NOW = Date.UTC(2026, 0, 5, 10);
const run = (sql: string, payload: unknown, topic = 'a/b') => compileIotSql(sql).apply(topic, payload, NOW);

describe('IoT SQL evaluator: parsing', () => {
  it.each([
    ["SELECT * FROM 'a/b' WHERE isNumber(x)", 'Unknown function isNumber'],
    ["SELECT * FROM 'a/b' WHERE isBoolean(x)", 'Unknown function isBoolean'],
    ['SELECT * WHERE true', 'Expected FROM'],
    ['SELECT * FROM a/b', 'Expected a quoted topic filter'],
    ["SELECT * FROM 'a/#/b'", 'Invalid topic filter'],
    ["SELECT * FROM 'a/b+'", 'Invalid topic filter'],
    ["SELECT x + 1 FROM 'a/b'", 'needs an AS alias'],
    ["SELECT * FROM 'a/b' WHERE (x = 1", 'Expected ")"'],
    ["SELECT * FROM 'a/b' WHERE x = 'open", 'Unterminated string literal'],
    ["SELECT * FROM 'a/b' WHERE CASE x ELSE 1 END", 'CASE needs at least one WHEN'],
    ["SELECT * FROM 'a/b' WHERE topic(1, 2) = 'a'", 'topic takes 0–1 arguments'],
    ["SELECT * FROM 'a/b' WHERE cast(x AS Float) = 1", 'Unknown cast type'],
    ["SELECT * FROM 'a/b' WHERE x = 1 garbage", 'Unexpected input after the statement'],
    ["SELECT * FROM 'a/b' WHERE mydata.item2 = 1", 'Field name item2 has numeric characters'],
  ])('refuses %s with SqlParseException (%s)', (sql, message) => {
    expect(() => compileIotSql(sql)).toThrow(SqlParseException);
    expect(() => compileIotSql(sql)).toThrow(message);
  });

  it('names the position of the error', () => {
    try {
      compileIotSql("SELECT * FROM 'a/b' WHERE isNumber(x)");
      throw new Error('expected a parse error');
    } catch (error) {
      expect(error).toMatchObject({ name: 'SqlParseException', position: 26 });
    }
  });
});

describe('IoT SQL evaluator: topics', () => {
  it.each([
    ['a/+', 'a/b', true],
    ['a/+', 'a/b/c', false],
    ['a/#', 'a/b/c', true],
    ['a/#', 'a', true],
    ['$aws/things/+/shadow/update/documents', '$aws/things/room-01/shadow/update/documents', true],
    ['$aws/things/+/shadow/update/documents', '$aws/things/room-01/shadow/update/accepted', false],
    ['$aws/things/+/shadow/update/documents', '$aws/things/room-01/shadow/name/x/update/documents', false],
    ['#', '$aws/things/t/shadow/update', false],
    ['+/things/t', '$aws/things/t', false],
  ])('filter %s on %s → %s', (filter, topic, expected) => {
    expect(topicMatches(filter, topic)).toBe(expected);
  });

  it('topic(n) is the 1-based level, topic() the whole topic, out of range Undefined (left out)', () => {
    expect(run("SELECT topic(3) AS t, topic() AS all, topic(9) AS none FROM 'x/+/+'", {}, 'x/y/z')).toEqual({
      t: 'z',
      all: 'x/y/z',
    });
  });
});

describe('IoT SQL evaluator: semantics of the operator tables', () => {
  it('SELECT *, aliases and nested paths; Undefined values are left out of the output', () => {
    const payload = { a: { b: { c: 1 } }, d: 'x' };
    expect(run("SELECT *, a.b.c AS c, missing.key AS gone, timestamp() AS now FROM 'a/b'", payload)).toEqual({
      ...payload,
      c: 1,
      now: NOW,
    });
    expect(run("SELECT a.b.c FROM 'a/b'", payload)).toEqual({ c: 1 });
  });

  it('WHERE acts only on the Boolean true: false and Undefined both skip', () => {
    expect(run("SELECT * FROM 'a/b' WHERE x = 1", { x: 1 })).toBeDefined();
    expect(run("SELECT * FROM 'a/b' WHERE x = 1", { x: 2 })).toBeUndefined();
    expect(run("SELECT * FROM 'a/b' WHERE x = 1", {})).toBeUndefined();
    expect(run("SELECT * FROM 'a/b' WHERE x", { x: 'true' })).toBeUndefined();
  });

  it('AND/OR/NOT of an Undefined operand are Undefined (no short-circuit is documented)', () => {
    expect(run("SELECT * FROM 'a/b' WHERE true OR x = 1", {})).toBeUndefined();
    expect(run("SELECT * FROM 'a/b' WHERE NOT (x = 1)", {})).toBeUndefined();
    expect(run("SELECT * FROM 'a/b' WHERE isUndefined(x) OR x = 1", {})).toBeUndefined();
    expect(run("SELECT * FROM 'a/b' WHERE 'TRUE' AND true", {})).toBeDefined();
  });

  it('= of mismatched types is false, <> true; Null = Null; objects compare by keys and values', () => {
    const where = (cond: string, payload: unknown) => run(`SELECT * FROM 'a/b' WHERE ${cond}`, payload) !== undefined;
    expect(where("x = '1'", { x: 1 })).toBe(false);
    expect(where("x <> '1'", { x: 1 })).toBe(true);
    expect(where('x = y', { x: null, y: null })).toBe(true);
    expect(where('x = y', { x: { a: 1, b: 2 }, y: { b: 2, a: 1 } })).toBe(true);
    expect(where('x = y', { x: [1, 2], y: [2, 1] })).toBe(false);
    expect(where('x <> y', { x: 1 })).toBe(false);
  });

  it('ordering comparisons and arithmetic convert numeric strings; others are Undefined', () => {
    expect(run("SELECT x > 5 AS gt, x * 2 AS twice, x + 'a' AS cat FROM 'a/b'", { x: '7' })).toEqual({
      gt: true,
      twice: 14,
      cat: '7a',
    });
    expect(run("SELECT x > 5 AS gt, x - 1 AS dec, x / 0 AS div FROM 'a/b'", { x: 'seven' })).toEqual({});
  });

  it('isUndefined, isNull, get and cast', () => {
    const payload = { n: null, o: { 'k-1': 3 }, f: 1.5, s: '12', b: true };
    expect(
      run(
        "SELECT isUndefined(z) AS u, isNull(n) AS nn, get(o, 'k-1') AS g, cast(f AS Int) AS i, cast(s AS Decimal) AS d, cast(b AS Int) AS bi, cast(z AS Int) AS zi FROM 'a/b'",
        payload,
      ),
    ).toEqual({ u: true, nn: true, g: 3, i: 1, d: 12, bi: 1 });
  });

  it('cast(x AS Int) = x holds for integral numbers only (how the rules check a type without isNumber)', () => {
    const where = (x: unknown) => run("SELECT * FROM 'a/b' WHERE cast(x AS Int) = x", { x }) !== undefined;
    expect([1767607200000, 1767607200000.5, '1767607200000', true, null, [1], { a: 1 }].map(where)).toEqual([
      true,
      false,
      false,
      false,
      false,
      false,
      false,
    ]);
    expect(where(undefined)).toBe(false);
  });

  it('CASE picks the first equal WHEN, else ELSE; an Undefined subject gives Undefined', () => {
    const sql = "SELECT CASE c WHEN 'g' THEN 'go' WHEN 'r' THEN 'stop' ELSE 'wait' END AS do FROM 'a/b'";
    expect(run(sql, { c: 'r' })).toEqual({ do: 'stop' });
    expect(run(sql, { c: 'y' })).toEqual({ do: 'wait' });
    expect(run(sql, {})).toEqual({});
  });
});
