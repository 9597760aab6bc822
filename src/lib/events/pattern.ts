// EventBridge content filtering, implemented to the AWS spec ("Content filtering in Amazon EventBridge event
// patterns"). Written by hand: no maintained JavaScript library implements the full operator set
// (prefix/suffix with equals-ignore-case, wildcard, anything-but variants, numeric ranges, cidr, exists, $or)
// with EventBridge's flattening of arrays, and the local bus runs it for every event.
import { isIP } from 'node:net';

export type EventPattern = Record<string, unknown>;

export class InvalidEventPatternError extends Error {
  override name = 'InvalidEventPatternException';
  constructor(reason: string, path?: string) {
    super(`Event pattern is not valid. Reason: ${reason}${path ? ` at ${path}` : ''}`);
  }
}

type Leaf = (value: unknown) => boolean;
type Compiled = (values: Values) => boolean;
/** Values found at one path of the event, arrays flattened (EventBridge matches any element). */
interface Values {
  present: boolean;
  list: unknown[];
}

const OPERATORS = new Set(['prefix', 'suffix', 'equals-ignore-case', 'wildcard', 'anything-but', 'numeric', 'exists', 'cidr']);

/** Validates a pattern as PutRule would; accepts an object or its JSON text. */
export function validatePattern(pattern: unknown): EventPattern {
  const value = typeof pattern === 'string' ? parseJson(pattern) : pattern;
  if (!isObject(value)) throw new InvalidEventPatternError('the pattern must be a JSON object');
  if (Object.keys(value).length === 0) throw new InvalidEventPatternError('the pattern must not be empty');
  compileObject(value, '');
  return value;
}

const cache = new WeakMap<object, (event: unknown) => boolean>();

/** Compiles a pattern into a predicate over events (validating it on the way). */
export function compilePattern(pattern: unknown): (event: unknown) => boolean {
  if (isObject(pattern) && cache.has(pattern)) return cache.get(pattern)!;
  const value = validatePattern(pattern);
  const match = compileObject(value, '');
  const predicate = (event: unknown) => match([event]);
  if (isObject(pattern)) cache.set(pattern, predicate);
  return predicate;
}

/** Whether the event matches the pattern (compiled once per pattern object and cached). */
export function matchesPattern(pattern: EventPattern, event: unknown): boolean {
  return compilePattern(pattern)(event);
}

/** `aws events test-event-pattern`: validate the pattern, then match. */
export function testEventPattern(pattern: unknown, event: unknown): boolean {
  return compilePattern(pattern)(typeof event === 'string' ? parseJson(event, 'event') : event);
}

// ---- compilation ---------------------------------------------------------------------------------

/** An object pattern applies to the set of objects reached so far: every field must match (AND). */
function compileObject(pattern: Record<string, unknown>, path: string): (objects: unknown[]) => boolean {
  const fields: Array<(objects: unknown[]) => boolean> = [];
  for (const [key, sub] of Object.entries(pattern)) {
    const where = path ? `${path}.${key}` : key;
    if (key === '$or') {
      if (!Array.isArray(sub) || sub.length < 2 || !sub.every(isObject)) throw new InvalidEventPatternError('"$or" must be an array of at least two pattern objects', where);
      const branches = sub.map((branch, i) => {
        if (Object.keys(branch as object).length === 0) throw new InvalidEventPatternError('an "$or" branch must not be empty', `${where}[${i}]`);
        return compileObject(branch as Record<string, unknown>, where);
      });
      fields.push((objects) => branches.some((b) => b(objects)));
      continue;
    }
    if (isObject(sub)) {
      if (Object.keys(sub).length === 0) throw new InvalidEventPatternError('a nested pattern must not be empty', where);
      const inner = compileObject(sub, where);
      // EventBridge flattens arrays: a field whose value is an array of objects matches via any element.
      fields.push((objects) => inner(flatten(objects.map((o) => field(o, key)).filter((v) => v !== undefined))));
      continue;
    }
    if (!Array.isArray(sub)) throw new InvalidEventPatternError(`the value of "${key}" must be an array or an object`, where);
    const leaf = compileLeaf(sub, where);
    fields.push((objects) => leaf(valuesAt(objects, key)));
  }
  return (objects) => fields.every((f) => f(objects));
}

function valuesAt(objects: unknown[], key: string): Values {
  const list: unknown[] = [];
  let present = false;
  for (const o of objects) {
    const v = field(o, key);
    if (v === undefined) continue;
    present = true;
    if (Array.isArray(v)) list.push(...flatten(v));
    else list.push(v);
  }
  return { present, list };
}

function field(object: unknown, key: string): unknown {
  return isObject(object) && Object.hasOwn(object, key) ? object[key] : undefined;
}

function flatten(values: unknown[]): unknown[] {
  const out: unknown[] = [];
  for (const v of values) {
    if (Array.isArray(v)) out.push(...flatten(v));
    else out.push(v);
  }
  return out;
}

/** A leaf array: OR of its matchers. `exists` looks at presence; every other matcher needs a value. */
function compileLeaf(matchers: unknown[], path: string): Compiled {
  if (matchers.length === 0) throw new InvalidEventPatternError('empty arrays are not allowed', path);
  const valueMatchers: Leaf[] = [];
  const presence: boolean[] = [];
  for (const m of matchers) {
    if (m === null || typeof m === 'string' || typeof m === 'boolean') valueMatchers.push((v) => v === m);
    else if (typeof m === 'number') valueMatchers.push((v) => typeof v === 'number' && v === m);
    else if (isObject(m)) {
      const keys = Object.keys(m);
      if (keys.length !== 1) throw new InvalidEventPatternError(`a matcher object must have exactly one operator (got ${keys.length ? keys.join(', ') : 'none'})`, path);
      const op = keys[0]!;
      if (!OPERATORS.has(op)) throw new InvalidEventPatternError(`unrecognized match type "${op}"`, path);
      if (op === 'exists') {
        if (typeof m.exists !== 'boolean') throw new InvalidEventPatternError('"exists" must be true or false', path);
        presence.push(m.exists);
      } else valueMatchers.push(compileOperator(op, m[op], path));
    } else throw new InvalidEventPatternError(`match values must be strings, numbers, booleans, null or operator objects (got ${JSON.stringify(m)})`, path);
  }
  return ({ present, list }) => {
    // EventBridge: exists:false matches a missing field; exists:true a present one (null included).
    if (presence.some((p) => p === present)) return true;
    if (!present) return false;
    return list.some((v) => valueMatchers.some((m) => m(v)));
  };
}

function compileOperator(op: string, arg: unknown, path: string): Leaf {
  switch (op) {
    case 'prefix':
    case 'suffix': {
      const test = op === 'prefix' ? (s: string, x: string) => s.startsWith(x) : (s: string, x: string) => s.endsWith(x);
      if (typeof arg === 'string') return (v) => typeof v === 'string' && test(v, arg);
      if (isObject(arg) && Object.keys(arg).length === 1 && typeof arg['equals-ignore-case'] === 'string') {
        const lower = (arg['equals-ignore-case'] as string).toLowerCase();
        return (v) => typeof v === 'string' && test(v.toLowerCase(), lower);
      }
      throw new InvalidEventPatternError(`"${op}" expects a string or {"equals-ignore-case": string}`, path);
    }
    case 'equals-ignore-case': {
      if (typeof arg !== 'string') throw new InvalidEventPatternError('"equals-ignore-case" expects a string', path);
      const lower = arg.toLowerCase();
      return (v) => typeof v === 'string' && v.toLowerCase() === lower;
    }
    case 'wildcard': {
      if (typeof arg !== 'string') throw new InvalidEventPatternError('"wildcard" expects a string', path);
      const re = wildcardRegExp(arg, path);
      return (v) => typeof v === 'string' && re.test(v);
    }
    case 'numeric':
      return compileNumeric(arg, path);
    case 'cidr':
      return compileCidr(arg, path);
    case 'anything-but':
      return compileAnythingBut(arg, path);
    default:
      throw new InvalidEventPatternError(`unrecognized match type "${op}"`, path);
  }
}

function compileAnythingBut(arg: unknown, path: string): Leaf {
  const scalar = (x: unknown) => typeof x === 'string' || typeof x === 'number';
  if (scalar(arg)) return (v) => v !== arg;
  if (Array.isArray(arg)) {
    if (arg.length === 0 || !arg.every(scalar)) throw new InvalidEventPatternError('"anything-but" list must contain only strings or numbers', path);
    const set = new Set(arg);
    return (v) => !set.has(v as string | number);
  }
  if (isObject(arg)) {
    const keys = Object.keys(arg);
    if (keys.length !== 1) throw new InvalidEventPatternError('"anything-but" object must have exactly one of prefix, suffix, equals-ignore-case, wildcard', path);
    const [key] = keys as [string];
    if (!['prefix', 'suffix', 'equals-ignore-case', 'wildcard'].includes(key)) throw new InvalidEventPatternError(`"anything-but" does not support "${key}"`, path);
    const inner = arg[key];
    const strings = typeof inner === 'string' ? [inner] : Array.isArray(inner) && inner.length > 0 && inner.every((s) => typeof s === 'string') ? (inner as string[]) : undefined;
    // AWS: anything-but prefix/suffix take one string; equals-ignore-case and wildcard take a string or a list.
    if (!strings || ((key === 'prefix' || key === 'suffix') && typeof inner !== 'string')) {
      throw new InvalidEventPatternError(`"anything-but" "${key}" expects ${key === 'prefix' || key === 'suffix' ? 'a string' : 'a string or a list of strings'}`, path);
    }
    switch (key) {
      case 'prefix':
        return (v) => typeof v === 'string' && !v.startsWith(strings[0]!);
      case 'suffix':
        return (v) => typeof v === 'string' && !v.endsWith(strings[0]!);
      case 'equals-ignore-case': {
        const lower = new Set(strings.map((s) => s.toLowerCase()));
        return (v) => typeof v === 'string' && !lower.has(v.toLowerCase());
      }
      case 'wildcard': {
        const res = strings.map((s) => wildcardRegExp(s, path));
        return (v) => typeof v === 'string' && !res.some((re) => re.test(v));
      }
      default:
        throw new InvalidEventPatternError(`"anything-but" does not support "${key}"`, path);
    }
  }
  throw new InvalidEventPatternError('"anything-but" expects a string, a number, a list, or an object', path);
}

const NUMERIC_OPS = new Set(['<', '<=', '=', '>', '>=']);

function compileNumeric(arg: unknown, path: string): Leaf {
  if (!Array.isArray(arg) || arg.length === 0 || arg.length % 2 !== 0) throw new InvalidEventPatternError('"numeric" expects an array of comparisons such as [">", 0, "<=", 5]', path);
  const tests: Array<(n: number) => boolean> = [];
  let lower = false;
  let upper = false;
  for (let i = 0; i < arg.length; i += 2) {
    const op = arg[i];
    const bound = arg[i + 1];
    if (typeof op !== 'string' || !NUMERIC_OPS.has(op)) throw new InvalidEventPatternError(`"numeric" has an unknown comparison ${JSON.stringify(op)}`, path);
    if (typeof bound !== 'number' || !Number.isFinite(bound)) throw new InvalidEventPatternError(`"numeric" comparison "${op}" needs a number`, path);
    if (op === '=' && arg.length !== 2) throw new InvalidEventPatternError('"numeric" "=" cannot be combined with other comparisons', path);
    if (op.startsWith('>')) {
      if (lower) throw new InvalidEventPatternError('"numeric" range has two lower bounds', path);
      lower = true;
    }
    if (op.startsWith('<')) {
      if (upper) throw new InvalidEventPatternError('"numeric" range has two upper bounds', path);
      upper = true;
    }
    tests.push(
      op === '<' ? (n) => n < bound : op === '<=' ? (n) => n <= bound : op === '=' ? (n) => n === bound : op === '>' ? (n) => n > bound : (n) => n >= bound,
    );
  }
  return (v) => typeof v === 'number' && tests.every((t) => t(v));
}

function compileCidr(arg: unknown, path: string): Leaf {
  if (typeof arg !== 'string') throw new InvalidEventPatternError('"cidr" expects a string such as "10.0.0.0/24"', path);
  const [ip, bitsText, ...rest] = arg.split('/');
  const version = isIP(ip ?? '');
  const bits = Number(bitsText);
  const max = version === 4 ? 32 : 128;
  if (rest.length || !version || bitsText === undefined || !/^\d+$/.test(bitsText) || bits > max) throw new InvalidEventPatternError(`"cidr" ${JSON.stringify(arg)} is not a valid IPv4 or IPv6 prefix`, path);
  const network = ipToBigInt(ip!, version);
  const shift = BigInt(max - bits);
  return (v) => {
    if (typeof v !== 'string' || isIP(v) !== version) return false;
    return ipToBigInt(v, version) >> shift === network >> shift;
  };
}

function ipToBigInt(ip: string, version: number): bigint {
  if (version === 4) return ip.split('.').reduce((acc, part) => (acc << 8n) + BigInt(Number(part)), 0n);
  // Expand "::" and an embedded IPv4 tail into eight 16-bit groups.
  let text = ip;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const n = ipToBigInt(v4[1]!, 4);
    text = `${text.slice(0, -v4[1]!.length)}${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  return groups.reduce((acc, g) => (acc << 16n) + BigInt(parseInt(g || '0', 16)), 0n);
}

function wildcardRegExp(pattern: string, path: string): RegExp {
  if (/(?<!\\)\*\*/.test(pattern.replace(/\\\\/g, ''))) throw new InvalidEventPatternError('"wildcard" must not contain consecutive wildcard characters', path);
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\' && (pattern[i + 1] === '*' || pattern[i + 1] === '\\')) {
      source += escapeRe(pattern[++i]!);
    } else if (c === '*') source += '.*';
    else source += escapeRe(c);
  }
  return new RegExp(`^${source}$`, 's');
}

function escapeRe(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function parseJson(text: string, what = 'pattern'): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new InvalidEventPatternError(`the ${what} is not valid JSON`);
  }
}
