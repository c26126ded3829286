/**
 * Lexer and parser of the AWS IoT SQL subset evaluated by `iot-sql.ts` (see there for what is supported and why).
 * Errors are SqlParseException, the error CreateTopicRule gives for SQL it cannot parse
 * (https://docs.aws.amazon.com/iot/latest/apireference/API_CreateTopicRule.html).
 */

/** Undefined in IoT SQL ("not a value") is JS `undefined`; Null is `null`. */
export type IotValue = unknown;

/** What CreateTopicRule answers for SQL it cannot parse (API model: SqlParseException). */
export class SqlParseException extends Error {
  constructor(
    message: string,
    readonly sql: string,
    readonly position: number,
  ) {
    super(`${message} at position ${position} of: ${sql}`);
    this.name = 'SqlParseException';
  }
}

export type Expr =
  | { kind: 'literal'; value: IotValue }
  | { kind: 'path'; keys: string[] }
  | { kind: 'call'; name: string; args: Expr[] }
  | { kind: 'cast'; value: Expr; type: string }
  | { kind: 'not'; operand: Expr }
  | { kind: 'neg'; operand: Expr }
  | { kind: 'binary'; op: string; left: Expr; right: Expr }
  | { kind: 'case'; subject: Expr; whens: [Expr, Expr][]; otherwise: Expr | undefined };

export type SelectItem = { kind: 'star' } | { kind: 'expr'; expr: Expr; name: string };

// ---- lexer ----
type Token =
  | { t: 'num'; v: number; p: number }
  | { t: 'str'; v: string; p: number }
  | { t: 'id'; v: string; p: number }
  | { t: 'op'; v: string; p: number }
  | { t: 'end'; p: number };

const KEYWORDS = new Set(['SELECT', 'FROM', 'WHERE', 'AS', 'AND', 'OR', 'NOT', 'CASE', 'WHEN', 'THEN', 'ELSE', 'END']);

function lex(sql: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < sql.length) {
    const c = sql.charAt(i);
    if (/\s/.test(c)) {
      i++;
    } else if (c === "'" || c === '"') {
      const close = sql.indexOf(c, i + 1);
      if (close < 0) throw new SqlParseException('Unterminated string literal', sql, i);
      tokens.push({ t: 'str', v: sql.slice(i + 1, close), p: i });
      i = close + 1;
    } else if (/[0-9]/.test(c)) {
      const m = /^\d+(\.\d+)?([eE][+-]?\d+)?/.exec(sql.slice(i));
      const text = m?.[0] ?? c;
      tokens.push({ t: 'num', v: Number(text), p: i });
      i += text.length;
    } else if (/[A-Za-z_$]/.test(c)) {
      const text = /^[A-Za-z_$][A-Za-z0-9_$]*/.exec(sql.slice(i))?.[0] ?? c;
      tokens.push({ t: 'id', v: text, p: i });
      i += text.length;
    } else {
      const two = sql.slice(i, i + 2);
      if (['<>', '!=', '<=', '>='].includes(two)) {
        tokens.push({ t: 'op', v: two, p: i });
        i += 2;
      } else if ('=<>+-*/%(),.'.includes(c)) {
        tokens.push({ t: 'op', v: c, p: i });
        i++;
      } else {
        throw new SqlParseException(`Unexpected character ${JSON.stringify(c)}`, sql, i);
      }
    }
  }
  tokens.push({ t: 'end', p: sql.length });
  return tokens;
}

// ---- parser (precedence: OR < AND < NOT < comparison < + - < * / % < unary) ----
const FUNCTION_ARITY: Readonly<Record<string, readonly [number, number]>> = {
  topic: [0, 1],
  timestamp: [0, 0],
  isundefined: [1, 1],
  isnull: [1, 1],
  get: [2, 2],
};
/** cast() keywords of SQL 2016-03-23 (https://docs.aws.amazon.com/iot/latest/developerguide/iot-sql-functions.html#iot-sql-function-cast). */
const CAST_TYPES = new Set(
  ['String', 'Nvarchar', 'Text', 'Ntext', 'varchar', 'Int', 'Integer', 'Double', 'Decimal', 'Bool', 'Boolean'].map(
    (t) => t.toLowerCase(),
  ),
);

class Parser {
  private at = 0;
  constructor(
    private readonly sql: string,
    private readonly tokens: Token[],
  ) {}

  private peek(): Token {
    return this.tokens[this.at] ?? { t: 'end', p: this.sql.length };
  }
  private next(): Token {
    const token = this.peek();
    this.at++;
    return token;
  }
  fail(message: string, token: Token = this.peek()): never {
    throw new SqlParseException(message, this.sql, token.p);
  }
  isKeyword(word: string): boolean {
    const token = this.peek();
    return token.t === 'id' && token.v.toUpperCase() === word;
  }
  private isOp(op: string): boolean {
    const token = this.peek();
    return token.t === 'op' && token.v === op;
  }
  expectKeyword(word: string): void {
    if (!this.isKeyword(word)) this.fail(`Expected ${word}`);
    this.at++;
  }
  private expectOp(op: string): void {
    if (!this.isOp(op)) this.fail(`Expected "${op}"`);
    this.at++;
  }
  acceptOp(op: string): boolean {
    if (!this.isOp(op)) return false;
    this.at++;
    return true;
  }
  atEnd(): boolean {
    return this.peek().t === 'end';
  }

  selectItem(): SelectItem {
    if (this.acceptOp('*')) return { kind: 'star' };
    const start = this.peek();
    const expr = this.expression();
    if (this.isKeyword('AS')) {
      this.at++;
      const alias = this.next();
      if (alias.t !== 'id' || KEYWORDS.has(alias.v.toUpperCase())) this.fail('Expected an alias after AS', alias);
      return { kind: 'expr', expr, name: alias.v };
    }
    if (expr.kind === 'path') return { kind: 'expr', expr, name: expr.keys[expr.keys.length - 1] ?? '' };
    return this.fail('The local evaluator needs an AS alias for a computed SELECT item', start);
  }

  topicFilter(): string {
    const token = this.next();
    // The FROM clause's topic filter must be in single quotes (iot-sql-from.html).
    if (token.t !== 'str' || this.sql.charAt(token.p) !== "'") this.fail('Expected a quoted topic filter', token);
    const levels = token.v.split('/');
    levels.forEach((level, i) => {
      const bad =
        (level.includes('#') && (level !== '#' || i !== levels.length - 1)) || (level.includes('+') && level !== '+');
      if (bad) this.fail(`Invalid topic filter ${JSON.stringify(token.v)}`, token);
    });
    return token.v;
  }

  expression(): Expr {
    let left = this.andExpr();
    while (this.isKeyword('OR')) {
      this.at++;
      left = { kind: 'binary', op: 'OR', left, right: this.andExpr() };
    }
    return left;
  }
  private andExpr(): Expr {
    let left = this.notExpr();
    while (this.isKeyword('AND')) {
      this.at++;
      left = { kind: 'binary', op: 'AND', left, right: this.notExpr() };
    }
    return left;
  }
  private notExpr(): Expr {
    if (this.isKeyword('NOT')) {
      this.at++;
      return { kind: 'not', operand: this.notExpr() };
    }
    return this.comparison();
  }
  private comparison(): Expr {
    const left = this.additive();
    const token = this.peek();
    if (token.t === 'op' && ['=', '<>', '!=', '<', '<=', '>', '>='].includes(token.v)) {
      this.at++;
      return { kind: 'binary', op: token.v === '!=' ? '<>' : token.v, left, right: this.additive() };
    }
    return left;
  }
  private additive(): Expr {
    let left = this.multiplicative();
    for (;;) {
      const token = this.peek();
      if (token.t !== 'op' || (token.v !== '+' && token.v !== '-')) return left;
      this.at++;
      left = { kind: 'binary', op: token.v, left, right: this.multiplicative() };
    }
  }
  private multiplicative(): Expr {
    let left = this.unary();
    for (;;) {
      const token = this.peek();
      if (token.t !== 'op' || !['*', '/', '%'].includes(token.v)) return left;
      this.at++;
      left = { kind: 'binary', op: token.v, left, right: this.unary() };
    }
  }
  private unary(): Expr {
    if (this.acceptOp('-')) return { kind: 'neg', operand: this.unary() };
    return this.primary();
  }
  private primary(): Expr {
    const token = this.next();
    if (token.t === 'num') return { kind: 'literal', value: token.v };
    if (token.t === 'str') return { kind: 'literal', value: token.v };
    if (token.t === 'op' && token.v === '(') {
      const inner = this.expression();
      this.expectOp(')');
      return inner;
    }
    if (token.t !== 'id') return this.fail('Expected an expression', token);
    const upper = token.v.toUpperCase();
    if (upper === 'TRUE' || upper === 'FALSE') return { kind: 'literal', value: upper === 'TRUE' };
    if (upper === 'NULL') return { kind: 'literal', value: null };
    if (upper === 'CASE') return this.caseExpr();
    if (KEYWORDS.has(upper)) return this.fail(`Unexpected keyword ${upper}`, token);
    if (this.isOp('(')) return this.call(token);
    const keys = [this.fieldName(token)];
    while (this.acceptOp('.')) {
      const key = this.next();
      if (key.t !== 'id') this.fail('Expected a field name after "."', key);
      keys.push(this.fieldName(key));
    }
    return { kind: 'path', keys };
  }
  /** Dot notation does not work for names with numeric characters or hyphens: AWS requires get() for them
   * (https://docs.aws.amazon.com/iot/latest/developerguide/iot-sql-json.html). */
  private fieldName(token: Token & { t: 'id' }): string {
    if (/[0-9]/.test(token.v))
      this.fail(`Field name ${token.v} has numeric characters: use get(…, '${token.v}')`, token);
    return token.v;
  }
  private call(nameToken: Token & { t: 'id' }): Expr {
    this.expectOp('(');
    const name = nameToken.v.toLowerCase();
    if (name === 'cast') {
      const value = this.expression();
      this.expectKeyword('AS');
      const type = this.next();
      if (type.t !== 'id' || !CAST_TYPES.has(type.v.toLowerCase())) this.fail('Unknown cast type', type);
      this.expectOp(')');
      return { kind: 'cast', value, type: type.v.toLowerCase() };
    }
    const arity = FUNCTION_ARITY[name];
    if (arity === undefined) this.fail(`Unknown function ${nameToken.v}`, nameToken);
    const args: Expr[] = [];
    if (!this.acceptOp(')')) {
      do args.push(this.expression());
      while (this.acceptOp(','));
      this.expectOp(')');
    }
    if (args.length < arity[0] || args.length > arity[1]) {
      this.fail(`${nameToken.v} takes ${arity[0]}–${arity[1]} arguments, got ${args.length}`, nameToken);
    }
    return { kind: 'call', name, args };
  }
  private caseExpr(): Expr {
    const subject = this.expression();
    const whens: [Expr, Expr][] = [];
    while (this.isKeyword('WHEN')) {
      this.at++;
      const test = this.expression();
      this.expectKeyword('THEN');
      whens.push([test, this.expression()]);
    }
    // CASE requires at least one WHEN (iot-sql-case.html).
    if (whens.length === 0) this.fail('CASE needs at least one WHEN');
    let otherwise: Expr | undefined;
    if (this.isKeyword('ELSE')) {
      this.at++;
      otherwise = this.expression();
    }
    this.expectKeyword('END');
    return { kind: 'case', subject, whens, otherwise };
  }
}

export interface Statement {
  readonly items: readonly SelectItem[];
  readonly topicFilter: string;
  readonly where: Expr | undefined;
}

/** Parses `SELECT … FROM '…' [WHERE …]`; throws SqlParseException naming the position for anything else. */
export function parseIotSql(sql: string): Statement {
  const parser = new Parser(sql, lex(sql));
  parser.expectKeyword('SELECT');
  const items: SelectItem[] = [];
  do items.push(parser.selectItem());
  while (parser.acceptOp(','));
  parser.expectKeyword('FROM');
  const topicFilter = parser.topicFilter();
  let where: Expr | undefined;
  if (parser.isKeyword('WHERE')) {
    parser.expectKeyword('WHERE');
    where = parser.expression();
  }
  if (!parser.atEnd()) parser.fail('Unexpected input after the statement');
  return { items, topicFilter, where };
}
