/**
 * The subset of CEL (github.com/google/cel-spec) that Kubernetes `x-kubernetes-validations` rules
 * in the Istio and Gateway API CRDs use, so those rules run here exactly as the API server runs
 * them: literals (including raw triple-quoted strings), `?:`, `||`, `&&`, `!`, comparisons, `in`,
 * `+ - * / %`, field selection, indexing, `has()`, the `all`/`exists`/`exists_one`/`filter`/`map`
 * macros, `size`, the Kubernetes string library (`matches` with RE2, `startsWith`, `endsWith`,
 * `contains`, `substring`, `split`, `lowerAscii`), `duration()`, `int()`, `string()`, `isIP()`,
 * `isURL()` and `url().getScheme()`. Property names escaped as Kubernetes escapes CEL keywords
 * (`__namespace__`) are unescaped. A rule using anything else fails to compile and is reported
 * as not enforced; transition rules (`oldSelf`) are skipped, as the API server skips them on create.
 */
import { isIP } from 'node:net';
import { RE2JS } from 're2js';
import { parseGoDuration } from './duration.js';

type Node =
  | { readonly t: 'lit'; readonly value: CelValue }
  | { readonly t: 'ident'; readonly name: string }
  | { readonly t: 'select'; readonly operand: Node; readonly field: string }
  | { readonly t: 'index'; readonly operand: Node; readonly index: Node }
  | { readonly t: 'call'; readonly name: string; readonly target: Node | undefined; readonly args: readonly Node[] }
  | { readonly t: 'list'; readonly items: readonly Node[] }
  | { readonly t: 'map'; readonly entries: readonly (readonly [Node, Node])[] }
  | { readonly t: 'unary'; readonly op: '!' | '-'; readonly operand: Node }
  | { readonly t: 'binary'; readonly op: string; readonly left: Node; readonly right: Node }
  | { readonly t: 'cond'; readonly test: Node; readonly then: Node; readonly otherwise: Node };

class Duration {
  readonly nanos: number;
  constructor(nanos: number) {
    this.nanos = nanos;
  }
}
class CelUrl {
  readonly url: URL;
  constructor(url: URL) {
    this.url = url;
  }
}
type CelValue = null | boolean | number | string | Duration | CelUrl | readonly CelValue[] | { readonly [key: string]: CelValue };

/** An evaluation error (no such key, wrong type): CEL's error value. */
export class CelError extends Error {}

const MACROS = new Set(['all', 'exists', 'exists_one', 'filter', 'map']);
const FUNCTIONS = new Set([
  'size', 'matches', 'startsWith', 'endsWith', 'contains', 'substring', 'split', 'lowerAscii',
  'duration', 'int', 'string', 'isIP', 'isURL', 'url', 'getScheme', 'getHost', 'has',
]);
const CEL_KEYWORDS = new Set([
  'true', 'false', 'null', 'in', 'as', 'break', 'const', 'continue', 'else', 'for', 'function', 'if',
  'import', 'let', 'loop', 'package', 'namespace', 'return', 'var', 'void', 'while',
]);

// ---- lexer ----

type Token = { readonly kind: 'num' | 'str' | 'ident' | 'op' | 'eof'; readonly text: string; readonly value?: CelValue };
const OPERATORS = ['||', '&&', '==', '!=', '<=', '>=', '?', ':', '!', '<', '>', '+', '-', '*', '/', '%', '.', ',', '(', ')', '[', ']', '{', '}'];
const ESCAPES: Readonly<Record<string, string>> = { n: '\n', t: '\t', r: '\r', '\\': '\\', '"': '"', "'": "'", '`': '`', '?': '?', a: '\x07', b: '\b', f: '\f', v: '\v' };

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const c = source[i] ?? '';
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const stringStart = /^([rR]?)("""|'''|"|')/.exec(source.slice(i));
    if (stringStart) {
      const raw = stringStart[1] !== '';
      const quote = stringStart[2] ?? '"';
      let j = i + stringStart[0].length;
      let value = '';
      while (!source.startsWith(quote, j)) {
        if (j >= source.length) throw new CelError('unterminated string literal');
        const ch = source[j] ?? '';
        if (ch === '\\' && !raw) {
          const next = source[j + 1] ?? '';
          const escaped = ESCAPES[next];
          if (escaped === undefined) throw new CelError(`unsupported escape \\${next}`);
          value += escaped;
          j += 2;
        } else {
          value += ch;
          j++;
        }
      }
      tokens.push({ kind: 'str', text: source.slice(i, j + quote.length), value });
      i = j + quote.length;
      continue;
    }
    const number = /^(?:0x[0-9a-fA-F]+|[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)u?/.exec(source.slice(i));
    if (number) {
      tokens.push({ kind: 'num', text: number[0], value: Number(number[0].replace(/u$/, '')) });
      i += number[0].length;
      continue;
    }
    const ident = /^[A-Za-z_][A-Za-z0-9_]*/.exec(source.slice(i));
    if (ident) {
      tokens.push({ kind: 'ident', text: ident[0] });
      i += ident[0].length;
      continue;
    }
    const op = OPERATORS.find((o) => source.startsWith(o, i));
    if (!op) throw new CelError(`unexpected character ${JSON.stringify(c)}`);
    tokens.push({ kind: 'op', text: op });
    i += op.length;
  }
  tokens.push({ kind: 'eof', text: '' });
  return tokens;
}

// ---- parser (precedence climbing, lowest first) ----

class Parser {
  private position = 0;
  private readonly tokens: readonly Token[];
  constructor(tokens: readonly Token[]) {
    this.tokens = tokens;
  }
  private peek(): Token {
    return this.tokens[this.position] ?? { kind: 'eof', text: '' };
  }
  private next(): Token {
    const token = this.peek();
    this.position++;
    return token;
  }
  private accept(text: string): boolean {
    const token = this.peek();
    if ((token.kind === 'op' || token.kind === 'ident') && token.text === text) {
      this.position++;
      return true;
    }
    return false;
  }
  private expect(text: string): void {
    if (!this.accept(text)) throw new CelError(`expected '${text}' but found '${this.peek().text || 'end of rule'}'`);
  }
  parseRule(): Node {
    const node = this.conditional();
    if (this.peek().kind !== 'eof') throw new CelError(`unexpected '${this.peek().text}'`);
    return node;
  }
  private conditional(): Node {
    const test = this.or();
    if (!this.accept('?')) return test;
    const then = this.or();
    this.expect(':');
    return { t: 'cond', test, then, otherwise: this.conditional() };
  }
  private or(): Node {
    let left = this.and();
    while (this.accept('||')) left = { t: 'binary', op: '||', left, right: this.and() };
    return left;
  }
  private and(): Node {
    let left = this.relation();
    while (this.accept('&&')) left = { t: 'binary', op: '&&', left, right: this.relation() };
    return left;
  }
  private relation(): Node {
    let left = this.addition();
    for (;;) {
      const op = ['==', '!=', '<=', '>=', '<', '>', 'in'].find((o) => this.accept(o));
      if (!op) return left;
      left = { t: 'binary', op, left, right: this.addition() };
    }
  }
  private addition(): Node {
    let left = this.multiplication();
    for (;;) {
      const op = ['+', '-'].find((o) => this.accept(o));
      if (!op) return left;
      left = { t: 'binary', op, left, right: this.multiplication() };
    }
  }
  private multiplication(): Node {
    let left = this.unary();
    for (;;) {
      const op = ['*', '/', '%'].find((o) => this.accept(o));
      if (!op) return left;
      left = { t: 'binary', op, left, right: this.unary() };
    }
  }
  private unary(): Node {
    if (this.accept('!')) return { t: 'unary', op: '!', operand: this.unary() };
    if (this.accept('-')) return { t: 'unary', op: '-', operand: this.unary() };
    return this.member();
  }
  private member(): Node {
    let node = this.primary();
    for (;;) {
      if (this.accept('.')) {
        const name = this.next();
        if (name.kind !== 'ident') throw new CelError(`expected a field name after '.'`);
        if (this.accept('(')) node = { t: 'call', name: name.text, target: node, args: this.args(')') };
        else node = { t: 'select', operand: node, field: unescapeField(name.text) };
      } else if (this.accept('[')) {
        const index = this.conditional();
        this.expect(']');
        node = { t: 'index', operand: node, index };
      } else {
        return node;
      }
    }
  }
  private args(close: string): Node[] {
    const args: Node[] = [];
    if (this.accept(close)) return args;
    do args.push(this.conditional());
    while (this.accept(','));
    this.expect(close);
    return args;
  }
  private primary(): Node {
    const token = this.next();
    if (token.kind === 'num' || token.kind === 'str') return { t: 'lit', value: token.value ?? null };
    if (token.kind === 'ident') {
      if (token.text === 'true' || token.text === 'false') return { t: 'lit', value: token.text === 'true' };
      if (token.text === 'null') return { t: 'lit', value: null };
      if (this.accept('(')) return { t: 'call', name: token.text, target: undefined, args: this.args(')') };
      return { t: 'ident', name: token.text };
    }
    if (token.text === '(') {
      const inner = this.conditional();
      this.expect(')');
      return inner;
    }
    if (token.text === '[') return { t: 'list', items: this.args(']') };
    if (token.text === '{') {
      const entries: [Node, Node][] = [];
      if (!this.accept('}')) {
        do {
          const key = this.conditional();
          this.expect(':');
          entries.push([key, this.conditional()]);
        } while (this.accept(','));
        this.expect('}');
      }
      return { t: 'map', entries };
    }
    throw new CelError(`unexpected '${token.text || 'end of rule'}'`);
  }
}

/** Kubernetes escapes property names that are CEL keywords or not identifiers (apiextensions CEL docs). */
function unescapeField(name: string): string {
  const keyword = /^__(.+)__$/.exec(name)?.[1];
  if (keyword !== undefined && CEL_KEYWORDS.has(keyword)) return keyword;
  return name.replace(/__underscores__/g, '__').replace(/__dot__/g, '.').replace(/__dash__/g, '-').replace(/__slash__/g, '/');
}

function checkFunctions(node: Node): void {
  switch (node.t) {
    case 'call':
      if (!MACROS.has(node.name) && !FUNCTIONS.has(node.name)) throw new CelError(`unsupported function ${node.name}()`);
      if (node.target) checkFunctions(node.target);
      node.args.forEach(checkFunctions);
      return;
    case 'select':
      return checkFunctions(node.operand);
    case 'index':
      checkFunctions(node.operand);
      return checkFunctions(node.index);
    case 'list':
      return node.items.forEach(checkFunctions);
    case 'map':
      return node.entries.forEach(([k, v]) => {
        checkFunctions(k);
        checkFunctions(v);
      });
    case 'unary':
      return checkFunctions(node.operand);
    case 'binary':
      checkFunctions(node.left);
      return checkFunctions(node.right);
    case 'cond':
      checkFunctions(node.test);
      checkFunctions(node.then);
      return checkFunctions(node.otherwise);
    default:
      return;
  }
}

function usesOldSelf(node: Node): boolean {
  switch (node.t) {
    case 'ident':
      return node.name === 'oldSelf';
    case 'call':
      return (node.target !== undefined && usesOldSelf(node.target)) || node.args.some(usesOldSelf);
    case 'select':
      return usesOldSelf(node.operand);
    case 'index':
      return usesOldSelf(node.operand) || usesOldSelf(node.index);
    case 'list':
      return node.items.some(usesOldSelf);
    case 'map':
      return node.entries.some(([k, v]) => usesOldSelf(k) || usesOldSelf(v));
    case 'unary':
      return usesOldSelf(node.operand);
    case 'binary':
      return usesOldSelf(node.left) || usesOldSelf(node.right);
    case 'cond':
      return usesOldSelf(node.test) || usesOldSelf(node.then) || usesOldSelf(node.otherwise);
    default:
      return false;
  }
}

// ---- evaluation ----

type Scope = ReadonlyMap<string, CelValue>;

function isMap(value: CelValue): value is { readonly [key: string]: CelValue } {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Duration) && !(value instanceof CelUrl);
}

function typeName(value: CelValue): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'list';
  if (value instanceof Duration) return 'duration';
  if (value instanceof CelUrl) return 'URL';
  return isMap(value) ? 'map' : typeof value;
}

function equal(a: CelValue, b: CelValue): boolean {
  if (a instanceof Duration && b instanceof Duration) return a.nanos === b.nanos;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => equal(x, b[i] ?? null));
  if (isMap(a) && isMap(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => k in b && equal(a[k] ?? null, b[k] ?? null));
  }
  return a === b;
}

function asString(value: CelValue, what: string): string {
  if (typeof value !== 'string') throw new CelError(`${what} expects a string, got ${typeName(value)}`);
  return value;
}

function asBool(value: CelValue): boolean {
  if (typeof value !== 'boolean') throw new CelError(`expected a bool, got ${typeName(value)}`);
  return value;
}

function size(value: CelValue): number {
  if (typeof value === 'string') return [...value].length;
  if (Array.isArray(value)) return value.length;
  if (isMap(value)) return Object.keys(value).length;
  throw new CelError(`size() of ${typeName(value)}`);
}

function compare(op: string, a: CelValue, b: CelValue): boolean {
  const pair =
    a instanceof Duration && b instanceof Duration
      ? [a.nanos, b.nanos]
      : (typeof a === 'number' && typeof b === 'number') || (typeof a === 'string' && typeof b === 'string')
        ? [a, b]
        : undefined;
  if (!pair) throw new CelError(`cannot compare ${typeName(a)} and ${typeName(b)}`);
  const [x, y] = pair as [number | string, number | string];
  return op === '<' ? x < y : op === '<=' ? x <= y : op === '>' ? x > y : x >= y;
}

function parseUrl(text: string): URL | undefined {
  // Kubernetes' isURL/url accept absolute URIs and absolute paths (url.ParseRequestURI).
  try {
    return text.startsWith('/') ? new URL(text, 'http://placeholder') : new URL(text);
  } catch {
    return undefined;
  }
}

function evaluate(node: Node, scope: Scope): CelValue {
  switch (node.t) {
    case 'lit':
      return node.value;
    case 'ident': {
      if (!scope.has(node.name)) throw new CelError(`undeclared reference to '${node.name}'`);
      return scope.get(node.name) ?? null;
    }
    case 'select': {
      const operand = evaluate(node.operand, scope);
      if (!isMap(operand)) throw new CelError(`cannot select '${node.field}' from ${typeName(operand)}`);
      if (!(node.field in operand)) throw new CelError(`no such key: ${node.field}`);
      return operand[node.field] ?? null;
    }
    case 'index': {
      const operand = evaluate(node.operand, scope);
      const index = evaluate(node.index, scope);
      if (Array.isArray(operand) && typeof index === 'number') {
        if (index < 0 || index >= operand.length) throw new CelError(`index out of bounds: ${index}`);
        return operand[index] ?? null;
      }
      if (isMap(operand) && typeof index === 'string') {
        if (!(index in operand)) throw new CelError(`no such key: ${index}`);
        return operand[index] ?? null;
      }
      throw new CelError(`cannot index ${typeName(operand)} with ${typeName(index)}`);
    }
    case 'list':
      return node.items.map((item) => evaluate(item, scope));
    case 'map': {
      const out: Record<string, CelValue> = {};
      for (const [k, v] of node.entries) out[asString(evaluate(k, scope), 'map key')] = evaluate(v, scope);
      return out;
    }
    case 'unary': {
      const value = evaluate(node.operand, scope);
      if (node.op === '!') return !asBool(value);
      if (typeof value !== 'number') throw new CelError(`cannot negate ${typeName(value)}`);
      return -value;
    }
    case 'cond':
      return asBool(evaluate(node.test, scope)) ? evaluate(node.then, scope) : evaluate(node.otherwise, scope);
    case 'binary':
      return evaluateBinary(node.op, node.left, node.right, scope);
    case 'call':
      return evaluateCall(node, scope);
  }
}

/** `||` and `&&` are commutative over errors in CEL: `error || true` is true. */
function logical(op: '||' | '&&', left: Node, right: Node, scope: Scope): boolean {
  const decisive = op === '||';
  let leftError: unknown;
  try {
    if (asBool(evaluate(left, scope)) === decisive) return decisive;
  } catch (error) {
    leftError = error;
  }
  const rightValue = asBool(evaluate(right, scope));
  if (rightValue === decisive) return decisive;
  if (leftError !== undefined) throw leftError;
  return !decisive;
}

function evaluateBinary(op: string, leftNode: Node, rightNode: Node, scope: Scope): CelValue {
  if (op === '||' || op === '&&') return logical(op, leftNode, rightNode, scope);
  const left = evaluate(leftNode, scope);
  const right = evaluate(rightNode, scope);
  switch (op) {
    case '==':
      return equal(left, right);
    case '!=':
      return !equal(left, right);
    case '<':
    case '<=':
    case '>':
    case '>=':
      return compare(op, left, right);
    case 'in':
      if (Array.isArray(right)) return right.some((item) => equal(item, left));
      if (isMap(right)) return asString(left, 'in') in right;
      throw new CelError(`'in' needs a list or map, got ${typeName(right)}`);
    case '+':
      if (typeof left === 'number' && typeof right === 'number') return left + right;
      if (typeof left === 'string' && typeof right === 'string') return left + right;
      if (Array.isArray(left) && Array.isArray(right)) return [...left, ...right];
      if (left instanceof Duration && right instanceof Duration) return new Duration(left.nanos + right.nanos);
      throw new CelError(`cannot add ${typeName(left)} and ${typeName(right)}`);
    default: {
      if (typeof left !== 'number' || typeof right !== 'number') throw new CelError(`'${op}' needs numbers`);
      if (op === '-') return left - right;
      if (op === '*') return left * right;
      if (right === 0) throw new CelError('division by zero');
      return op === '/' ? Math.trunc(left / right) : left % right;
    }
  }
}

function evaluateMacro(name: string, target: CelValue, args: readonly Node[], scope: Scope): CelValue {
  const variable = args[0];
  const body = args[1];
  if (args.length !== 2 || variable?.t !== 'ident' || !body) throw new CelError(`${name}() takes a variable and an expression`);
  const items: readonly CelValue[] = Array.isArray(target) ? target : isMap(target) ? Object.keys(target) : [];
  if (!Array.isArray(target) && !isMap(target)) throw new CelError(`${name}() needs a list or map, got ${typeName(target)}`);
  const run = (item: CelValue): CelValue => evaluate(body, new Map([...scope, [variable.name, item]]));
  switch (name) {
    case 'all':
      return items.every((item) => asBool(run(item)));
    case 'exists':
      return items.some((item) => asBool(run(item)));
    case 'exists_one':
      return items.filter((item) => asBool(run(item))).length === 1;
    case 'filter':
      return items.filter((item) => asBool(run(item)));
    default:
      return items.map(run);
  }
}

function evaluateCall(node: Extract<Node, { t: 'call' }>, scope: Scope): CelValue {
  if (node.name === 'has') {
    const field = node.args[0];
    if (node.args.length !== 1 || field?.t !== 'select') throw new CelError('has() takes a field selection');
    const operand = evaluate(field.operand, scope);
    if (!isMap(operand)) throw new CelError(`has() on ${typeName(operand)}`);
    return field.field in operand;
  }
  const target = node.target ? evaluate(node.target, scope) : undefined;
  if (MACROS.has(node.name)) return evaluateMacro(node.name, target ?? null, node.args, scope);
  const args = node.args.map((arg) => evaluate(arg, scope));
  const subject = target ?? args.shift() ?? null;
  const arg = (i: number): CelValue => args[i] ?? null;
  switch (node.name) {
    case 'size':
      return size(subject);
    case 'matches':
      return RE2JS.compile(asString(arg(0), 'matches')).matcher(asString(subject, 'matches')).find();
    case 'startsWith':
      return asString(subject, 'startsWith').startsWith(asString(arg(0), 'startsWith'));
    case 'endsWith':
      return asString(subject, 'endsWith').endsWith(asString(arg(0), 'endsWith'));
    case 'contains':
      return asString(subject, 'contains').includes(asString(arg(0), 'contains'));
    case 'lowerAscii':
      return asString(subject, 'lowerAscii').replace(/[A-Z]/g, (c) => c.toLowerCase());
    case 'split':
      return asString(subject, 'split').split(asString(arg(0), 'split'));
    case 'substring': {
      const chars = [...asString(subject, 'substring')];
      const start = Number(arg(0));
      const end = args.length > 1 ? Number(arg(1)) : chars.length;
      if (start < 0 || end > chars.length || start > end) throw new CelError(`substring(${start}, ${end}) out of range`);
      return chars.slice(start, end).join('');
    }
    case 'duration': {
      const parsed = parseGoDuration(asString(subject, 'duration'));
      if (!parsed.ok) throw new CelError(parsed.error);
      return new Duration(parsed.nanos);
    }
    case 'int': {
      if (typeof subject === 'number') return Math.trunc(subject);
      const text = asString(subject, 'int');
      if (!/^[+-]?[0-9]+$/.test(text)) throw new CelError(`cannot convert ${JSON.stringify(text)} to int`);
      return Number(text);
    }
    case 'string':
      if (typeof subject === 'string' || typeof subject === 'number' || typeof subject === 'boolean') return String(subject);
      throw new CelError(`string() of ${typeName(subject)}`);
    case 'isIP':
      return isIP(asString(subject, 'isIP')) !== 0;
    case 'isURL':
      return parseUrl(asString(subject, 'isURL')) !== undefined;
    case 'url': {
      const url = parseUrl(asString(subject, 'url'));
      if (!url) throw new CelError(`invalid URL ${JSON.stringify(subject)}`);
      return new CelUrl(url);
    }
    case 'getScheme':
    case 'getHost': {
      if (!(subject instanceof CelUrl)) throw new CelError(`${node.name}() needs a URL`);
      return node.name === 'getScheme' ? subject.url.protocol.replace(/:$/, '') : subject.url.host;
    }
    default:
      throw new CelError(`unsupported function ${node.name}()`);
  }
}

// ---- programs ----

export interface CelProgram {
  /** Transition rules compare with the stored object; on create the API server skips them. */
  readonly transition: boolean;
  /** True when the rule holds for `self`; throws CelError when it cannot be evaluated. */
  holds(self: unknown): boolean;
}

export type CompileResult = { ok: true; program: CelProgram } | { ok: false; error: string };

const compiled = new Map<string, CompileResult>();

/** Parses a rule once; later calls with the same text reuse the program. */
export function compileCel(rule: string): CompileResult {
  let result = compiled.get(rule);
  if (!result) {
    try {
      const ast = new Parser(tokenize(rule)).parseRule();
      checkFunctions(ast);
      const transition = usesOldSelf(ast);
      result = {
        ok: true,
        program: {
          transition,
          holds: (self) => asBool(evaluate(ast, new Map([['self', self as CelValue]]))),
        },
      };
    } catch (error) {
      result = { ok: false, error: (error as Error).message };
    }
    compiled.set(rule, result);
  }
  return result;
}
