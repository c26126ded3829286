import { parseCsv, parseCsvRows, toCsv } from '../../telemetry/csv';
import { column, numericTableFromCsv, TableError } from '../../telemetry/table';

describe('CSV reader', () => {
  it.each([
    [
      'a,b\n1,2\n',
      [
        ['a', 'b'],
        ['1', '2'],
      ],
    ],
    [
      '"x,y",2\r\n"a""b",\n',
      [
        ['x,y', '2'],
        ['a"b', ''],
      ],
    ],
    [
      '"multi\nline",3\n\n4,5',
      [
        ['multi\nline', '3'],
        ['4', '5'],
      ],
    ],
    [',a,', [['', 'a', '']]],
    ['"a",', [['a', '']]],
  ])('parses %j', (text, expected) => {
    expect(parseCsvRows(text)).toEqual(expected);
  });

  it('round-trips fields that need quoting', () => {
    const rows = [['plain', 'with,comma', 'with "quote"', 'two\nlines']];
    expect(parseCsv(toCsv(['a', 'b', 'c', 'd'], rows))).toEqual({ header: ['a', 'b', 'c', 'd'], rows });
  });
});

describe('numericTableFromCsv', () => {
  it('reads numeric columns column-major, NaN for empty cells, and lists non-numeric columns as ignored', () => {
    const table = numericTableFromCsv('thing,sound,temp,occupied\nroom-1,12.5,,1\nroom-2,3,20.5,0\n', 'occupied');
    expect(table.names).toEqual(['sound', 'temp']);
    expect(table.ignored).toEqual(['thing']);
    expect(Array.from(column(table, 'sound'))).toEqual([12.5, 3]);
    expect(Number.isNaN(column(table, 'temp')[0])).toBe(true);
    expect(Array.from(table.target)).toEqual([1, 0]);
  });

  it('grows past its initial capacity without losing rows', () => {
    const lines = Array.from({ length: 5000 }, (_, i) => `${i},${i % 2}`);
    const table = numericTableFromCsv(`x,y\n${lines.join('\n')}\n`, 'y');
    expect(table.rowCount).toBe(5000);
    expect(column(table, 'x')[4999]).toBe(4999);
    expect(table.target[4999]).toBe(1);
  });

  it('names the target column when it is missing or not 0/1', () => {
    expect(() => numericTableFromCsv('a,b\n1,2\n', 'occupied')).toThrow(TableError);
    expect(() => numericTableFromCsv('a,occupied\n1,maybe\n', 'occupied')).toThrow(
      /Row 2: target "occupied" must be 0\/1/,
    );
    expect(() => numericTableFromCsv('', 'occupied')).toThrow(/empty/);
  });
});
