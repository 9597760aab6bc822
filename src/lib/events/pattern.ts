// EventBridge content filtering, as described in the AWS EventBridge User Guide ("Event patterns", "Content filtering
// in Amazon EventBridge event patterns", "Arrays in Amazon EventBridge event patterns", "Matching null values and empty
// strings"). Written by hand: no maintained JavaScript library implements the full operator set (prefix/suffix with
// equals-ignore-case, wildcard, every anything-but form, numeric ranges, cidr, exists, $or) with EventBridge's
// flattening of arrays. Where the guide is silent, this follows AWS's own matching engine (the Java library
// aws/event-ruler, whose JsonRuleCompiler decides what PutRule and TestEventPattern accept) and behaviour recorded
// against real EventBridge. Patterns are compiled once into closures because the local bus matches every event
// against every rule.
import { isIP } from 'node:net';

export type EventPattern = Record<string, unknown>;

/** What PutRule / TestEventPattern answer for a pattern they refuse (same exception name, same message prefix). */
export class InvalidEventPatternError extends Error {
  override name = 'InvalidEventPatternException';
  /** The reason alone, without the "Event pattern is not valid." prefix. */
  readonly reason: string;
  constructor(reason: string) {
    super(`Event pattern is not valid. Reason: ${reason}`);
    this.reason = reason;
  }
}

/** What TestEventPattern answers for an event it cannot test (not JSON, or missing a mandatory envelope field). */
export class InvalidEventError extends Error {
  override name = 'ValidationException';
}

/** Validates a pattern as PutRule would and returns it as an object; accepts the object or its JSON text. */
export function validatePattern(pattern: unknown): EventPattern {
  const value = typeof pattern === 'string' ? parsePatternJson(pattern) : pattern;
  if (!isPlainObject(value))
    throw new InvalidEventPatternError('the pattern must be a JSON object (Filter is not an object)');
  compileObject(value, '', false);
  return value;
}

type Predicate = (event: unknown) => boolean;

const compiledByObject = new WeakMap<object, Predicate>();
const compiledByText = new Map<string, Predicate>();
const MAX_CACHED_TEXTS = 512;

/**
 * Validates and compiles a pattern (object or JSON text) into a predicate over events. Compiled predicates are cached
 * per pattern object and per JSON text, so a pattern object must not be mutated after it has been compiled.
 */
export function compilePattern(pattern: unknown): Predicate {
  if (typeof pattern === 'string') {
    const cached = compiledByText.get(pattern);
    if (cached) return cached;
    const predicate = buildPredicate(parsePatternJson(pattern));
    if (compiledByText.size >= MAX_CACHED_TEXTS) compiledByText.clear();
    compiledByText.set(pattern, predicate);
    return predicate;
  }
  if (isPlainObject(pattern)) {
    const cached = compiledByObject.get(pattern);
    if (cached) return cached;
    const predicate = buildPredicate(pattern);
    compiledByObject.set(pattern, predicate);
    return predicate;
  }
  return buildPredicate(pattern);
}

/** Whether the event matches the pattern; throws InvalidEventPatternError for an invalid pattern. */
export function matchesPattern(pattern: EventPattern, event: unknown): boolean {
  return compilePattern(pattern)(event);
}

// TestEventPattern: "The JSON must follow the format specified in AWS Events, and the following fields are mandatory".
const MANDATORY_EVENT_FIELDS = ['id', 'account', 'source', 'time', 'region', 'resources', 'detail-type'] as const;

/** `aws events test-event-pattern`: validate the pattern, check the event's envelope, then match. Both may be JSON text. */
export function testEventPattern(pattern: unknown, event: unknown): boolean {
  const predicate = compilePattern(pattern);
  let value = event;
  if (typeof event === 'string') {
    try {
      value = JSON.parse(event);
    } catch (error) {
      throw new InvalidEventError(`Parameter Event is not valid: not JSON (${(error as Error).message})`);
    }
  }
  if (!isPlainObject(value))
    throw new InvalidEventError('Parameter Event is not valid: the event must be a JSON object');
  const missing = MANDATORY_EVENT_FIELDS.filter((field) => !Object.hasOwn(value, field));
  if (missing.length > 0)
    throw new InvalidEventError(`Parameter Event is not valid: missing mandatory field(s) ${missing.join(', ')}`);
  return predicate(value);
}

function buildPredicate(pattern: unknown): Predicate {
  if (!isPlainObject(pattern))
    throw new InvalidEventPatternError('the pattern must be a JSON object (Filter is not an object)');
  const subRules = compileObject(pattern, '', false);
  return (event) => {
    const leaves = new EventLeaves(event);
    for (const subRule of subRules) if (matchSubRule(subRule, leaves)) return true;
    return false;
  };
}

function parsePatternJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new InvalidEventPatternError(`the pattern is not valid JSON (${(error as Error).message})`);
  }
}

// ---- structure -----------------------------------------------------------------------------------------------------
//
// The model is event-ruler's: a pattern compiles into sub-rules (one per combination of $or branches), each a list of
// conditions on flattened field paths ("detail.state"); an event flattens into leaf values per path, each remembering
// which element of which array it came from. A sub-rule matches when every condition is met by leaves that come from
// the same element of every array they share (event-ruler's "array consistency"). Flattened paths are why a pattern
// field named "c.count" under detail matches both {"detail": {"c.count": 5}} and {"detail": {"c": {"count": 5}}}.

/** The conditions on one flattened path: an OR of value tests, plus exists:true / exists:false. */
interface FieldCondition {
  path: string;
  tests: ValueTest[];
  existsTrue: boolean;
  existsFalse: boolean;
}

type SubRule = FieldCondition[];

// event-ruler refuses its own keywords as field names anywhere inside an $or branch (RESERVED_FIELD_NAMES_IN_OR_RELATIONSHIP).
const RESERVED_IN_OR = new Set([
  'equals',
  'equals-ignore-case',
  'prefix',
  'suffix',
  'anything-but',
  'exists',
  'wildcard',
  'numeric',
  'cidr',
  '=',
  '<',
  '<=',
  '>',
  '>=',
  'regex',
  'not-wildcard',
  'not-equals-ignore-case',
  'date-after',
  'date-on-or-after',
  'date-before',
  'date-on-or-before',
  'in-date-range',
  'ip-address-in-range',
  'ip-address-not-in-range',
]);

// Our own guard, not an AWS figure: nested $or multiply into sub-rules, and a hostile pattern must not exhaust memory.
const MAX_SUB_RULES = 4096;

/**
 * The alternatives (sub-rules) a pattern object stands for: AND across its fields, each $or picking one branch. `path`
 * is the flattened event path the fields resolve against; `where` names the spot in the pattern for error messages.
 */
function compileObject(pattern: Record<string, unknown>, path: string, insideOr: boolean, where = path): SubRule[] {
  const keys = Object.keys(pattern);
  if (keys.length === 0) {
    throw new InvalidEventPatternError(`the object${at(where)} is empty; empty objects are not allowed`);
  }
  let alternatives: SubRule[] = [[]];
  for (const key of keys) {
    const sub = pattern[key];
    const childPath = path ? `${path}.${key}` : key;
    const childWhere = where ? `${where}.${key}` : key;
    let part: SubRule[];
    if (key === '$or') {
      part = compileOr(sub, path, childWhere);
    } else {
      if (insideOr && RESERVED_IN_OR.has(key)) {
        throw new InvalidEventPatternError(
          `the field name "${key}"${at(childWhere)} is a reserved keyword and cannot be used inside "$or"`,
        );
      }
      if (isPlainObject(sub)) {
        part = compileObject(sub, childPath, insideOr, childWhere);
      } else if (Array.isArray(sub)) {
        part = [[compileLeaf(sub, childPath, childWhere)]];
      } else {
        throw new InvalidEventPatternError(
          `the value of "${key}" must be an array of match values or a nested object ` +
            `(found ${describe(sub)})${at(childWhere)}`,
        );
      }
    }
    // EventBridge: every field named in the pattern must match (AND across fields).
    if (alternatives.length * part.length > MAX_SUB_RULES) {
      const problem = `has too many "$or" combinations (more than ${MAX_SUB_RULES})`;
      throw new InvalidEventPatternError(`the pattern${at(where)} ${problem}`);
    }
    alternatives = alternatives.flatMap((left) => part.map((right) => overrideConditions(left, right)));
  }
  return alternatives;
}

/**
 * Joins two condition lists; a later condition on the same path replaces the earlier one, as event-ruler's compiler
 * does by default (JsonRuleCompilerTest.testWithRuleOverride: `{"name": ["a", "b"], "$or": [{"name": [{"anything-but":
 * "a"}]}, ...]}` matches `{"name": "c"}` through the first branch).
 */
function overrideConditions(left: SubRule, right: SubRule): SubRule {
  if (right.length === 0) return left;
  const replaced = new Set(right.map((condition) => condition.path));
  return [...left.filter((condition) => !replaced.has(condition.path)), ...right];
}

/** $or does not add a level to the event: each branch applies at the same path as its siblings. */
function compileOr(branches: unknown, path: string, where: string): SubRule[] {
  if (!Array.isArray(branches) || branches.length < 2) {
    throw new InvalidEventPatternError(`"$or"${at(where)} must be an array of at least two pattern objects`);
  }
  return branches.flatMap((branch, i) => {
    if (!isPlainObject(branch)) {
      const problem = `may only contain pattern objects (element ${i} is not an object)`;
      throw new InvalidEventPatternError(`"$or"${at(where)} ${problem}`);
    }
    return compileObject(branch, path, true, `${where}[${i}]`);
  });
}

// ---- the event, flattened ------------------------------------------------------------------------------------------

/** A leaf value and, for every array around it, that array and the element index the value came from. */
interface Leaf {
  value: unknown;
  arrays: readonly (readonly [unknown[], number])[];
}

/**
 * The leaves of one event by dotted path, resolved lazily (a sub-rule usually fails on its first field) and cached for
 * the event's evaluation. Arrays add no path segment (EventBridge matches any element); objects are not leaves (exists
 * "only works on leaf nodes"); an empty array or object contributes nothing. A key holding dots is one segment of the
 * joined path, so "detail.c.count" is found under {"c": {"count": ..}} and under {"c.count": ..} alike.
 */
class EventLeaves {
  private readonly cache = new Map<string, Leaf[]>();
  constructor(private readonly event: unknown) {}

  at(path: string): Leaf[] {
    let leaves = this.cache.get(path);
    if (!leaves) {
      leaves = [];
      if (isPlainObject(this.event)) collect(this.event, path, [], leaves);
      this.cache.set(path, leaves);
    }
    return leaves;
  }
}

/**
 * Collects the leaves under `rest` (the part of the path still to walk). At an object, each prefix of `rest` that ends
 * at a dot (or all of it) may be a key, which is how dotted keys and nested objects reach the same path.
 */
function collect(value: unknown, rest: string, arrays: Leaf['arrays'], out: Leaf[]): void {
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) collect(value[index], rest, [...arrays, [value, index]], out);
  } else if (isPlainObject(value)) {
    if (rest === '') return;
    for (let end = rest.indexOf('.'); ; end = rest.indexOf('.', end + 1)) {
      const key = end === -1 ? rest : rest.slice(0, end);
      if (Object.hasOwn(value, key)) collect(value[key], end === -1 ? '' : rest.slice(end + 1), arrays, out);
      if (end === -1) break;
    }
  } else if (rest === '') {
    out.push({ value, arrays });
  }
}

/** Element choices made so far: array -> element index. */
type Choices = ReadonlyMap<unknown[], number>;

function consistent(choices: Choices, leaf: Leaf): boolean {
  for (const [id, index] of leaf.arrays) {
    const chosen = choices.get(id);
    if (chosen !== undefined && chosen !== index) return false;
  }
  return true;
}

function choose(choices: Choices, leaf: Leaf): Choices {
  if (leaf.arrays.length === 0) return choices;
  const next = new Map(choices);
  for (const [id, index] of leaf.arrays) next.set(id, index);
  return next;
}

/**
 * Depth-first search for leaves, one per condition, that agree on every shared array element. A condition that may be
 * met by absence (exists:false) is checked last, against the elements the other conditions settled on: event-ruler
 * counts a field as present only when it is array-consistent with what matched before.
 */
function matchSubRule(all: SubRule, event: EventLeaves): boolean {
  // Conditions in order, each resolved only when needed. A condition whose leaves sit in no array constrains nothing
  // else and is decided on the spot (the common case, and a failing one ends the sub-rule early); only conditions on
  // array elements go to the search below.
  const rule: FieldCondition[] = [];
  const leavesOf: Leaf[][] = [];
  for (const condition of all) {
    const leaves = event.at(condition.path);
    if (leaves.length === 0) {
      if (!condition.existsFalse) return false;
      continue;
    }
    if (leaves.every((leaf) => leaf.arrays.length === 0)) {
      if (!metByValue(condition, leaves)) return false;
      continue;
    }
    rule.push(condition);
    leavesOf.push(leaves);
  }
  if (rule.length === 0) return true;
  // Conditions that share no array cannot constrain each other either: each is met on its own.
  if (!sharesArrays(leavesOf)) {
    return rule.every((condition, i) => metByValue(condition, leavesOf[i]));
  }
  // Array ids that can still constrain the search from step i on: those of later conditions' leaves, and of every
  // exists:false condition (deferred ones are checked at the end). Choices in other arrays cannot change the outcome,
  // so states that differ only there are the same state: memoizing on the relevant part keeps the search polynomial
  // for independent arrays (a hostile event with large arrays cannot make it exponential).
  const relevantFrom: Set<unknown[]>[] = [];
  const absentIds = new Set<unknown[]>();
  rule.forEach((condition, i) => {
    if (condition.existsFalse) for (const leaf of leavesOf[i]) for (const [id] of leaf.arrays) absentIds.add(id);
  });
  let later = new Set<unknown[]>(absentIds);
  for (let i = rule.length - 1; i >= 0; i--) {
    later = new Set(later);
    for (const leaf of leavesOf[i]) for (const [id] of leaf.arrays) later.add(id);
    relevantFrom[i] = later;
  }
  relevantFrom[rule.length] = absentIds;
  const failed = new Set<string>();
  const arrayIds = new Map<unknown[], number>();
  const stateKey = (i: number, choices: Choices, absent: readonly number[]): string => {
    const relevant = relevantFrom[i];
    const parts: string[] = [];
    for (const [array, index] of choices) {
      if (!relevant.has(array)) continue;
      let id = arrayIds.get(array);
      if (id === undefined) arrayIds.set(array, (id = arrayIds.size));
      parts.push(`${id}:${index}`);
    }
    return `${i}|${absent.join(',')}|${parts.sort().join(',')}`;
  };
  const search = (i: number, choices: Choices, absent: readonly number[]): boolean => {
    if (i === rule.length) {
      return absent.every((c) => !leavesOf[c].some((leaf) => consistent(choices, leaf)));
    }
    const key = stateKey(i, choices, absent);
    if (failed.has(key)) return false;
    const condition = rule[i];
    for (const leaf of leavesOf[i]) {
      if (!consistent(choices, leaf)) continue;
      if (condition.existsTrue || condition.tests.some((test) => test(leaf.value))) {
        if (search(i + 1, choose(choices, leaf), absent)) return true;
      }
    }
    if (condition.existsFalse && search(i + 1, choices, [...absent, i])) return true;
    failed.add(key);
    return false;
  };
  return search(0, new Map(), []);
}

/** Whether some leaf (any, for exists:true) meets the condition's values. */
function metByValue(condition: FieldCondition, leaves: readonly Leaf[]): boolean {
  return condition.existsTrue || leaves.some((leaf) => condition.tests.some((test) => test(leaf.value)));
}

/** Whether an array occurs in the leaves of two different conditions. */
function sharesArrays(leavesOf: readonly Leaf[][]): boolean {
  const owner = new Map<unknown[], number>();
  for (let i = 0; i < leavesOf.length; i++) {
    for (const leaf of leavesOf[i]) {
      for (const [id] of leaf.arrays) {
        const first = owner.get(id);
        if (first === undefined) owner.set(id, i);
        else if (first !== i) return true;
      }
    }
  }
  return false;
}

// ---- leaves --------------------------------------------------------------------------------------------------------

type ValueTest = (value: unknown) => boolean;

const OPERATORS = ['prefix', 'suffix', 'equals-ignore-case', 'wildcard', 'anything-but', 'numeric', 'exists', 'cidr'];

/** A leaf array is an OR of its match values. */
function compileLeaf(matchValues: unknown[], fieldPath: string, path: string): FieldCondition {
  if (matchValues.length === 0)
    throw new InvalidEventPatternError(`the match values${at(path)} are an empty array; empty arrays are not allowed`);
  const condition: FieldCondition = { path: fieldPath, tests: [], existsTrue: false, existsFalse: false };
  for (const m of matchValues) {
    if (m === null || typeof m === 'string' || typeof m === 'boolean' || typeof m === 'number') {
      condition.tests.push(compileExact(m));
      continue;
    }
    if (!isPlainObject(m)) {
      throw new InvalidEventPatternError(
        `the match value ${JSON.stringify(m)}${at(path)} is not allowed; match values must be strings, numbers, true, false, null or operator objects`,
      );
    }
    const ops = Object.keys(m);
    if (ops.length !== 1) {
      throw new InvalidEventPatternError(
        `the operator object${at(path)} must hold exactly one operator (got ${ops.length ? ops.join(', ') : 'none'})`,
      );
    }
    const op = ops[0];
    const arg = m[op];
    if (op === 'exists') {
      if (typeof arg !== 'boolean')
        throw new InvalidEventPatternError(`"exists" operator${at(path)} must be true or false`);
      // EventBridge: exists matches on the presence or absence of a leaf; an empty array in the event is no value.
      if (arg) condition.existsTrue = true;
      else condition.existsFalse = true;
      continue;
    }
    condition.tests.push(compileOperator(op, arg, path));
  }
  return condition;
}

function compileExact(m: string | number | boolean | null): ValueTest {
  if (typeof m === 'string') {
    const ip = parseIp(m);
    // event-ruler compiles an IP-address literal into an address range, so other spellings of the same address match.
    if (ip) return (v) => v === m || (typeof v === 'string' && sameIp(parseIp(v), ip));
  }
  // Numbers compare by value (event-ruler adds a numeric-equality matcher for every number), so 300 matches 3.0e2;
  // a number never equals a string, and null never equals "" (the guide: they are not interchangeable).
  return (v) => v === m;
}

function compileOperator(op: string, arg: unknown, path: string): ValueTest {
  switch (op) {
    case 'prefix':
    case 'suffix':
      return compilePrefixSuffix(op, arg, path);
    case 'equals-ignore-case': {
      if (typeof arg !== 'string')
        throw new InvalidEventPatternError(`"equals-ignore-case" operator${at(path)} expects a string`);
      const lower = arg.toLowerCase();
      return (v) => typeof v === 'string' && v.toLowerCase() === lower;
    }
    case 'wildcard': {
      if (typeof arg !== 'string')
        throw new InvalidEventPatternError(`"wildcard" operator${at(path)} expects a string`);
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
      throw new InvalidEventPatternError(
        `unrecognized match type "${op}"${at(path)} (EventBridge supports ${OPERATORS.join(', ')})`,
      );
  }
}

function compilePrefixSuffix(op: 'prefix' | 'suffix', arg: unknown, path: string): ValueTest {
  const test = op === 'prefix' ? (s: string, x: string) => s.startsWith(x) : (s: string, x: string) => s.endsWith(x);
  // Prefix and suffix matches only work on string-valued fields.
  if (typeof arg === 'string') return (v) => typeof v === 'string' && test(v, arg);
  if (isPlainObject(arg)) {
    const keys = Object.keys(arg);
    if (keys.length === 1 && keys[0] === 'equals-ignore-case') {
      const inner = arg['equals-ignore-case'];
      if (typeof inner !== 'string')
        throw new InvalidEventPatternError(`"${op}" operator${at(path)}: "equals-ignore-case" expects a string`);
      const lower = inner.toLowerCase();
      return (v) => typeof v === 'string' && test(v.toLowerCase(), lower);
    }
    throw new InvalidEventPatternError(
      `"${op}" operator${at(path)} supports only {"equals-ignore-case": string} as an object (got ${keys.join(', ') || 'an empty object'})`,
    );
  }
  throw new InvalidEventPatternError(`"${op}" operator${at(path)} expects a string or {"equals-ignore-case": string}`);
}

// ---- anything-but --------------------------------------------------------------------------------------------------

const ANYTHING_BUT_FORMS = ['prefix', 'suffix', 'equals-ignore-case', 'wildcard'];

/**
 * anything-but matches any present value that is not excluded, whatever its type: AWS matches `null` against
 * `{"anything-but": "initializing"}` and the number 12 against `{"anything-but": {"prefix": "init"}}`. A missing field
 * never matches (only exists:false matches absence).
 */
function compileAnythingBut(arg: unknown, path: string): ValueTest {
  if (typeof arg === 'string') return (v) => v !== arg;
  if (typeof arg === 'number') return (v) => v !== arg;
  if (Array.isArray(arg)) {
    if (arg.some((x) => typeof x !== 'string' && typeof x !== 'number')) {
      throw new InvalidEventPatternError(
        `"anything-but" operator${at(path)}: a list may hold only strings or only numbers (null, booleans and objects are not supported)`,
      );
    }
    const strings = arg.filter((x): x is string => typeof x === 'string');
    if (arg.length === 0 || (strings.length > 0 && strings.length < arg.length)) {
      throw new InvalidEventPatternError(
        `"anything-but" operator${at(path)}: a list must hold only strings or only numbers, and at least one`,
      );
    }
    const excluded = new Set<unknown>(arg);
    return (v) => !excluded.has(v);
  }
  if (isPlainObject(arg)) {
    const keys = Object.keys(arg);
    if (keys.length !== 1) {
      throw new InvalidEventPatternError(
        `"anything-but" operator${at(path)}: an object must hold exactly one of ${ANYTHING_BUT_FORMS.join(', ')}`,
      );
    }
    const form = keys[0];
    if (!ANYTHING_BUT_FORMS.includes(form)) {
      throw new InvalidEventPatternError(
        `"anything-but" operator${at(path)} does not support "${form}" (only ${ANYTHING_BUT_FORMS.join(', ')})`,
      );
    }
    const inner = arg[form];
    const list =
      typeof inner === 'string'
        ? [inner]
        : Array.isArray(inner) && inner.every((s) => typeof s === 'string')
          ? inner
          : undefined;
    if (!list)
      throw new InvalidEventPatternError(
        `"anything-but" operator${at(path)}: "${form}" expects a string or a list of strings`,
      );
    switch (form) {
      case 'prefix':
      case 'suffix': {
        if (list.includes(''))
          throw new InvalidEventPatternError(`"anything-but" operator${at(path)}: an empty "${form}" is not allowed`);
        const hit =
          form === 'prefix'
            ? (s: string) => list.some((x) => s.startsWith(x))
            : (s: string) => list.some((x) => s.endsWith(x));
        return (v) => typeof v !== 'string' || !hit(v);
      }
      case 'equals-ignore-case': {
        const lower = new Set(list.map((s) => s.toLowerCase()));
        return (v) => typeof v !== 'string' || !lower.has(v.toLowerCase());
      }
      default: {
        const res = list.map((s) => wildcardRegExp(s, path));
        return (v) => typeof v !== 'string' || !res.some((re) => re.test(v));
      }
    }
  }
  throw new InvalidEventPatternError(
    `"anything-but" operator${at(path)} expects a string, a number, a list of strings or of numbers, or an object with one of ${ANYTHING_BUT_FORMS.join(', ')}`,
  );
}

// ---- numeric -------------------------------------------------------------------------------------------------------

const COMPARISONS = new Set(['=', '<', '<=', '>', '>=']);
// The guide: numeric matching "is limited to values between -1.0e9 and +1.0e9 inclusive".
const NUMERIC_LIMIT = 1e9;

/**
 * event-ruler's grammar: ["=", n], ["<" | "<=", n], or [">" | ">=", n] optionally followed by ["<" | "<=", m] with n < m.
 * Numeric matching only works with values that are JSON numbers.
 */
function compileNumeric(arg: unknown, path: string): ValueTest {
  if (!Array.isArray(arg))
    throw new InvalidEventPatternError(`"numeric" operator${at(path)} expects an array of comparisons`);
  if (arg.length === 0) throw numericError(path, 'the array is empty');
  const [op1, n1, op2, n2] = arg as unknown[];
  const bound = (op: unknown, n: unknown): number => {
    if (typeof op !== 'string' || !COMPARISONS.has(op))
      throw numericError(path, `the comparison ${JSON.stringify(op)} is unknown (expected =, <, <=, > or >=)`);
    if (typeof n !== 'number' || !Number.isFinite(n)) throw numericError(path, `the comparison "${op}" needs a number`);
    if (Math.abs(n) > NUMERIC_LIMIT) {
      throw numericError(path, `${n} is out of range (numeric matching is limited to -1.0e9 to +1.0e9)`);
    }
    return n;
  };
  const low = bound(op1, n1);
  if (arg.length === 2) {
    switch (op1) {
      case '=':
        return (v) => typeof v === 'number' && v === low;
      case '<':
        return (v) => typeof v === 'number' && v < low;
      case '<=':
        return (v) => typeof v === 'number' && v <= low;
      case '>':
        return (v) => typeof v === 'number' && v > low;
      default:
        return (v) => typeof v === 'number' && v >= low;
    }
  }
  if (op1 !== '>' && op1 !== '>=') {
    throw numericError(path, 'only a ">" or ">=" comparison can be followed by another');
  }
  if (op2 !== '<' && op2 !== '<=') {
    throw numericError(path, `the second comparison of a range must be "<" or "<=" (got ${JSON.stringify(op2)})`);
  }
  const high = bound(op2, n2);
  if (arg.length > 4) throw numericError(path, 'there are too many terms (a range has at most two comparisons)');
  if (!(low < high)) throw numericError(path, `the range bottom (${low}) must be less than its top (${high})`);
  const above = op1 === '>' ? (v: number) => v > low : (v: number) => v >= low;
  const below = op2 === '<' ? (v: number) => v < high : (v: number) => v <= high;
  return (v) => typeof v === 'number' && above(v) && below(v);
}

/** Grammar errors inside a numeric array: the expected shape first, then what is wrong and where. */
function numericError(path: string, problem: string): InvalidEventPatternError {
  return new InvalidEventPatternError(
    `"numeric" expects an array of comparisons such as [">", 0, "<=", 5];${at(path)} ${problem}`,
  );
}

// ---- wildcard ------------------------------------------------------------------------------------------------------

// Approximation of EventBridge's wildcard complexity limit: AWS refuses "*:*:*:*:*:event-bus/*" as too complex.
const MAX_WILDCARDS = 5;

/**
 * `*` matches zero or more characters; `\*` is a literal asterisk and `\\` a literal backslash; consecutive `*` and
 * any other escape are refused (event-ruler's WildcardParser).
 */
function wildcardRegExp(pattern: string, path: string): RegExp {
  let source = '';
  let stars = 0;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') {
      if (pattern[i + 1] === '*')
        throw new InvalidEventPatternError(
          `"wildcard" value ${JSON.stringify(pattern)}${at(path)} has consecutive wildcard characters at position ${i}`,
        );
      stars++;
      source += '.*';
    } else if (c === '\\') {
      const next = pattern[i + 1];
      if (next !== '*' && next !== '\\')
        throw new InvalidEventPatternError(
          `"wildcard" value ${JSON.stringify(pattern)}${at(path)} has an invalid escape at position ${i} (only \\* and \\\\ are allowed)`,
        );
      source += escapeRegExp(next);
      i++;
    } else {
      source += escapeRegExp(c);
    }
  }
  if (stars > MAX_WILDCARDS) {
    throw new InvalidEventPatternError(
      `"wildcard" value ${JSON.stringify(pattern)}${at(path)}: rule is too complex - try using fewer wildcard characters or fewer repeating character sequences after a wildcard character`,
    );
  }
  return new RegExp(`^${source}$`, 's');
}

function escapeRegExp(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

// ---- cidr ----------------------------------------------------------------------------------------------------------

interface Ip {
  version: 4 | 6;
  value: bigint;
}

/**
 * The network's addresses: host bits written in the pattern's address are ignored ("54.240.196.171/24" is
 * 54.240.196.0 to 54.240.196.255), as event-ruler's CIDRTest.TestCorrectRanges computes the floor of the range.
 */
function compileCidr(arg: unknown, path: string): ValueTest {
  if (typeof arg !== 'string')
    throw new InvalidEventPatternError(`"cidr" operator${at(path)} expects a string such as "10.0.0.0/24"`);
  const parts = arg.split('/');
  if (parts.length !== 2)
    throw new InvalidEventPatternError(
      `"cidr" value ${JSON.stringify(arg)}${at(path)} is malformed: exactly one "/" is required`,
    );
  const [address, maskText] = parts as [string, string];
  if (!/^-?\d+$/.test(maskText))
    throw new InvalidEventPatternError(
      `"cidr" value ${JSON.stringify(arg)}${at(path)} is malformed: the mask bits must be an integer`,
    );
  const bits = Number(maskText);
  if (bits < 0)
    throw new InvalidEventPatternError(
      `"cidr" value ${JSON.stringify(arg)}${at(path)} is malformed: the mask bits must not be negative`,
    );
  const ip = parseIp(address);
  if (!ip)
    throw new InvalidEventPatternError(
      `"cidr" value ${JSON.stringify(arg)}${at(path)} does not hold a standard IPv4 or IPv6 address`,
    );
  const width = ip.version === 4 ? 32 : 128;
  // event-ruler refuses a full-length mask ("IPv4 mask bits must be < 32", "IPv6 mask bits must be < 128").
  if (bits >= width)
    throw new InvalidEventPatternError(
      `"cidr" value ${JSON.stringify(arg)}${at(path)}: IPv${ip.version} mask bits must be < ${width}`,
    );
  const hostMask = (1n << BigInt(width - bits)) - 1n;
  const low = ip.value & ~hostMask;
  const high = low | hostMask;
  return (v) => {
    if (typeof v !== 'string') return false;
    const candidate = parseIp(v);
    return (
      candidate !== undefined && candidate.version === ip.version && candidate.value >= low && candidate.value <= high
    );
  };
}

// event-ruler only treats these shapes as IP addresses (no embedded dotted IPv4 in IPv6, no zone ids).
const IPV4_SHAPE = /^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$/;
const IPV6_SHAPE = /^[0-9a-fA-F:]*:[0-9a-fA-F:]*$/;

function parseIp(text: string): Ip | undefined {
  if (IPV4_SHAPE.test(text)) {
    if (isIP(text) !== 4) return undefined;
    return { version: 4, value: text.split('.').reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n) };
  }
  if (IPV6_SHAPE.test(text) && isIP(text) === 6) {
    const [head, tail] = text.split('::') as [string, string | undefined];
    const left = head ? head.split(':') : [];
    const right = tail ? tail.split(':') : [];
    const groups =
      tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
    return { version: 6, value: groups.reduce((acc, group) => (acc << 16n) | BigInt(parseInt(group, 16)), 0n) };
  }
  return undefined;
}

function sameIp(a: Ip | undefined, b: Ip): boolean {
  return a !== undefined && a.version === b.version && a.value === b.value;
}

// ---- helpers -------------------------------------------------------------------------------------------------------

function at(path: string): string {
  return path ? ` at ${path}` : '';
}

function describe(value: unknown): string {
  return value === null ? 'null' : typeof value === 'string' ? `the string ${JSON.stringify(value)}` : typeof value;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
