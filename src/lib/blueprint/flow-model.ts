// What can be on the bus, and which rules can see it: the static model behind `graph`, `graph --check` and the
// deploy-time flow check. Every event a flow can publish is known before run time by its envelope (source and
// detail-type) and by what the producer declares about its detail (a `publishes` entry's `when`, the earlier entries
// that win over it, the `error` an `onError` entry adds). Whether a rule can match such an event is decided by
// searching for a witness event: one built from the values the patterns themselves mention, tested with the real
// matcher (`matchesPattern`). No library decides EventBridge pattern intersection, hence this search; it assumes each
// field of a published detail holds one value (not an array), which is how the handlers' state is shaped.
import { matchesPattern, type EventPattern } from '../events/pattern.js';
import type { EventFlow } from './event-flow.js';
import { eventSource } from './functions.js';
import { text } from '../json.js';

export const API_NODE = 'publisher:api';

/** One way an event type gets on the bus: the API's OrderPlaced, a function's publishes entry or onError entry. */
export interface Producer {
  /** Graph node of the publisher: `publisher:api` or `function:<handler>`. */
  readonly node: string;
  /** The publisher's name for messages: `the API` or the handler. */
  readonly publisher: string;
  readonly source: string;
  readonly detailType: string;
  /** Where it is declared, for messages: `functions.notify-customer.publishes[1]`. */
  readonly declared: string;
  /** Patterns over the detail the event satisfies (the entry's `when`, the error an onError entry adds). */
  readonly requires: readonly EventPattern[];
  /** Patterns over the detail it cannot satisfy (earlier `when`s, which win); ALWAYS when an earlier entry has none. */
  readonly excludes: ReadonlyArray<EventPattern | typeof ALWAYS>;
  /** Short condition for an edge label: `when error.Error exists`, `otherwise`, `on PaymentAuthorizationFailed`. */
  readonly condition?: string;
}

/** An earlier `publishes` entry without `when`: it always wins, so later entries are never chosen. */
export const ALWAYS = Symbol('always');

// The graph, the check and the fan-out all ask the same questions of the same flow: answer each once.
const producersByFlow = new WeakMap<EventFlow, Producer[]>();
const decisions = new WeakMap<Producer, WeakMap<EventPattern, Decision>>();

export function producersOf(flow: EventFlow): Producer[] {
  const known = producersByFlow.get(flow);
  if (known) return known;
  const out: Producer[] = [
    {
      node: API_NODE,
      publisher: 'the API',
      source: flow.source,
      detailType: flow.orderPlaced,
      declared: 'orderPlaced',
      requires: [],
      excludes: [],
    },
  ];
  for (const [fn, route] of Object.entries(flow.functions)) {
    const earlier: Array<EventPattern | typeof ALWAYS> = [];
    route.publishes.forEach((p, i) => {
      const condition = p.when ? `when ${abbreviatePattern(p.when)}` : i > 0 ? 'otherwise' : undefined;
      out.push({
        node: `function:${fn}`,
        publisher: fn,
        source: eventSource(fn),
        detailType: p.detailType,
        declared: `functions.${fn}.publishes[${i}]`,
        requires: p.when ? [p.when] : [],
        excludes: [...earlier],
        ...(condition ? { condition } : {}),
      });
      earlier.push(p.when ?? ALWAYS);
    });
    route.onError.forEach((e, i) => {
      // The wrapper publishes `{...state, error: {Error: <errorType>, Cause}}` for a listed error (see events-wrapper.ts).
      const error = e.errorEquals.includes('States.ALL') ? [{ exists: true }] : [...e.errorEquals];
      out.push({
        node: `function:${fn}`,
        publisher: fn,
        source: eventSource(fn),
        detailType: e.detailType,
        declared: `functions.${fn}.onError[${i}]`,
        requires: [{ error: { Error: error } }],
        excludes: [],
        condition: `on ${e.errorEquals.join('|')}`,
      });
    });
  }
  producersByFlow.set(flow, out);
  return out;
}

/** Whether the producer can publish at all (no earlier entry always wins, its own conditions hold together). */
export function canPublish(producer: Producer): Decision {
  return searchEvents(producer, [], (event) => (event ? 'found' : undefined));
}

export type Decision = 'yes' | 'no' | 'undecided';

/** Whether some event of this producer matches the rule pattern. `undecided` (too many combinations) counts as yes. */
export function canMatch(producer: Producer, pattern: EventPattern): Decision {
  let known = decisions.get(producer);
  if (!known) decisions.set(producer, (known = new WeakMap()));
  let decision = known.get(pattern);
  if (!decision)
    known.set(
      pattern,
      (decision = searchEvents(producer, [pattern], (event) =>
        event && matchesPattern(pattern, event) ? 'found' : undefined,
      )),
    );
  return decision;
}

/** Whether the envelope alone (source, detail-type) can match: the pattern's other fields are ignored. */
export function envelopeCanMatch(
  producer: Pick<Producer, 'source' | 'detailType'>,
  pattern: EventPattern,
  keys: ReadonlyArray<'source' | 'detail-type'> = ['source', 'detail-type'],
): boolean {
  const envelope: EventPattern = {};
  for (const key of keys) if (key in pattern) envelope[key] = pattern[key];
  // A top-level $or may constrain the envelope in some branches only: the full search decides those.
  if (Object.keys(envelope).length === 0 || '$or' in pattern) return true;
  return matchesPattern(envelope, { source: producer.source, 'detail-type': producer.detailType });
}

/**
 * The largest number of these rules that one event of the producer can match at once: the real fan-out width, so
 * two rules routing on `seller.type` 1P and 3P count as one. Falls back to the number that can match each on
 * its own when there are too many combinations to try.
 */
export function fanOutWidth(producer: Producer, patterns: readonly EventPattern[]): number {
  if (patterns.length <= 1) return patterns.length;
  let best = 0;
  const decision = searchEvents(producer, patterns, (event) => {
    if (!event) return undefined;
    const n = patterns.filter((p) => matchesPattern(p, event)).length;
    best = Math.max(best, n);
    return n === patterns.length ? 'found' : undefined;
  });
  return decision === 'undecided' ? patterns.length : best;
}

// ---- witness search ------------------------------------------------------------------------------------------------

/** Beyond this many candidate events the answer is `undecided` (it never is for flows of a realistic size). */
const MAX_CANDIDATES = 50_000;
const ABSENT = Symbol('absent');
/** A value to try at a path, or ABSENT (leave the path out); `unknown` already includes the symbol. */
type Candidate = unknown;

/**
 * Enumerates events of the producer (its envelope, and details satisfying what it declares), built from the values
 * that the given patterns and the producer's own conditions mention, and calls `visit` with each until it answers
 * 'found'. `visit(undefined)` is never called; returns 'yes' when found, 'no' when exhausted.
 */
function searchEvents(
  producer: Producer,
  patterns: readonly EventPattern[],
  visit: (event: Record<string, unknown> | undefined) => 'found' | undefined,
): Decision {
  if (producer.excludes.includes(ALWAYS)) return 'no';
  const leaves = new Map<string, { path: string[]; values: Candidate[] }>();
  for (const pattern of patterns) collectLeaves(pattern, [], leaves);
  for (const pattern of [...producer.requires, ...producer.excludes])
    if (pattern !== ALWAYS) collectLeaves(pattern, ['detail'], leaves);
  // The envelope is fixed by the producer.
  leaves.delete(JSON.stringify(['source']));
  leaves.delete(JSON.stringify(['detail-type']));
  const slots = [...leaves.values()].map((leaf) => ({ path: leaf.path, values: candidatesFor(leaf.values) }));
  // Shallow paths first, so a deeper path under a scalar is skipped, not overwritten.
  slots.sort((a, b) => a.path.length - b.path.length);
  const total = slots.reduce((n, s) => n * s.values.length, 1);
  if (total > MAX_CANDIDATES) return 'undecided';
  const choice = new Array<number>(slots.length).fill(0);
  for (let n = 0; n < total; n++) {
    let rest = n;
    for (let i = 0; i < slots.length; i++) {
      choice[i] = rest % slots[i].values.length;
      rest = Math.floor(rest / slots[i].values.length);
    }
    const event: Record<string, unknown> = { source: producer.source, 'detail-type': producer.detailType, detail: {} };
    slots.forEach((slot, i) => assign(event, slot.path, slot.values[choice[i]]));
    const detail = event.detail as Record<string, unknown>;
    if (!producer.requires.every((p) => matchesPattern(p, detail))) continue;
    if (producer.excludes.some((p) => p !== ALWAYS && matchesPattern(p, detail))) continue;
    if (visit(event) === 'found') return 'yes';
  }
  return 'no';
}

function collectLeaves(
  pattern: EventPattern,
  base: string[],
  out: Map<string, { path: string[]; values: Candidate[] }>,
): void {
  for (const [key, value] of Object.entries(pattern)) {
    if (key === '$or' && Array.isArray(value)) {
      // $or branches apply at the same level as their siblings.
      for (const branch of value) collectLeaves(branch as EventPattern, base, out);
    } else if (Array.isArray(value)) {
      const path = [...base, key];
      const id = JSON.stringify(path);
      const leaf = out.get(id) ?? { path, values: [] };
      leaf.values.push(...(value as unknown[]));
      out.set(id, leaf);
    } else if (value && typeof value === 'object') {
      collectLeaves(value as EventPattern, [...base, key], out);
    }
  }
}

/** Values worth trying at one path: each literal, a value just inside and outside each operator, absent, fresh. */
function candidatesFor(matchValues: readonly unknown[]): Candidate[] {
  const out: Candidate[] = [ABSENT, 'fulfill-witness', 123456789];
  const prefixes: string[] = [];
  const suffixes: string[] = [];
  const visit = (m: unknown): void => {
    if (m === null || typeof m !== 'object') {
      out.push(m);
      return;
    }
    if (Array.isArray(m)) {
      m.forEach(visit);
      return;
    }
    const [op, arg] = Object.entries(m as Record<string, unknown>)[0] ?? [];
    const text =
      typeof arg === 'string'
        ? arg
        : typeof (arg as { 'equals-ignore-case'?: unknown })?.['equals-ignore-case'] === 'string'
          ? (arg as Record<string, string>)['equals-ignore-case']
          : undefined;
    switch (op) {
      case 'prefix':
        if (text !== undefined) {
          out.push(text, `${text}-x`, text.toUpperCase());
          prefixes.push(text);
        }
        break;
      case 'suffix':
        if (text !== undefined) {
          out.push(text, `x-${text}`, text.toUpperCase());
          suffixes.push(text);
        }
        break;
      case 'equals-ignore-case':
        if (text !== undefined) out.push(text, text.toUpperCase(), text.toLowerCase());
        break;
      case 'wildcard':
        if (text !== undefined) out.push(text.replace(/\*/g, ''), text.replace(/\*/g, 'x'));
        break;
      case 'anything-but':
        visit(arg);
        break;
      case 'numeric':
        for (const n of (arg as unknown[]).filter((v): v is number => typeof v === 'number'))
          out.push(n, n - 1, n + 1, n - 0.5, n + 0.5);
        break;
      case 'cidr':
        if (typeof arg === 'string')
          out.push(
            arg.split('/')[0],
            arg.split('/')[0].replace(/\d+$/, (d) => String(Math.min(255, Number(d) + 1))),
          );
        break;
      default:
        break; // exists: absent and the fresh values cover it.
    }
  };
  matchValues.forEach(visit);
  for (const p of prefixes) for (const s of suffixes) out.push(p + s);
  return [...new Map(out.map((v) => [typeof v === 'symbol' ? 'absent' : JSON.stringify(v), v])).values()];
}

function assign(event: Record<string, unknown>, path: readonly string[], value: Candidate): void {
  if (value === ABSENT) return;
  let target = event;
  for (const key of path.slice(0, -1)) {
    const next = target[key];
    if (next === undefined) target = target[key] = {} as Record<string, unknown>;
    else if (next && typeof next === 'object') target = next as Record<string, unknown>;
    else return; // A scalar already sits above this path: this combination leaves the deeper field out.
  }
  target[path.at(-1)!] = value;
}

// ---- labels --------------------------------------------------------------------------------------------------------

/**
 * A pattern as a short label: `seller.type = 1P`, `source prefix fulfill.`, `error.Error exists`. The envelope's
 * detail-type (the event node says it) and exact sources (the publisher says it) are left out; `detail.` is dropped.
 */
export function abbreviatePattern(pattern: EventPattern, options: { dropEnvelope?: boolean } = {}): string {
  const parts: string[] = [];
  const walk = (p: EventPattern, base: string[]): void => {
    for (const [key, value] of Object.entries(p)) {
      if (key === '$or' && Array.isArray(value)) {
        parts.push(`(${value.map((b) => abbreviatePattern(b as EventPattern)).join(' | ')})`);
      } else if (Array.isArray(value)) {
        const path = [...base, key];
        if (options.dropEnvelope && path.length === 1 && key === 'detail-type') continue;
        if (options.dropEnvelope && path.length === 1 && key === 'source' && value.every((v) => typeof v === 'string'))
          continue;
        const name = (path[0] === 'detail' && path.length > 1 ? path.slice(1) : path).join('.');
        parts.push(`${name} ${describeMatchers(value)}`);
      } else if (value && typeof value === 'object') {
        walk(value as EventPattern, [...base, key]);
      }
    }
  };
  walk(pattern, []);
  return truncate(parts.join(', '), 60);
}

function describeMatchers(values: readonly unknown[]): string {
  const described = values.map((m) => {
    if (m === null || typeof m !== 'object') return String(m);
    const [op, arg] = Object.entries(m as Record<string, unknown>)[0] ?? ['', ''];
    if (op === 'exists') return arg ? 'exists' : 'absent';
    if (op === 'anything-but')
      return `not ${Array.isArray(arg) ? arg.join('|') : typeof arg === 'object' ? JSON.stringify(arg) : text(arg)}`;
    if (op === 'numeric') return (arg as unknown[]).join(' ');
    return `${op} ${typeof arg === 'string' ? arg : JSON.stringify(arg)}`;
  });
  const literal = values.every((m) => m === null || typeof m !== 'object');
  return literal ? `= ${described.join('|')}` : described.join(' or ');
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
