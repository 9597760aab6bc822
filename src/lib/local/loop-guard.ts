/**
 * Loop guards for the local target (documented in the README under "How the local target works"): a flow
 * that never ends is stopped and its order failed with an error naming the loop, in both modes, also when
 * `deploy --allow-cycles` let a cyclic event flow through.
 *
 * - orchestration: Step Functions fails a Standard execution whose history reaches 25,000 events;
 * - events: Lambda's recursive loop detection stops a chain that invokes the same function for the 17th
 *   time; here the same event type published for the same order more than 16 times since the order was
 *   placed stops it, and so does any order past 1,000 events (a flow that grows without repeating).
 */

/** Step Functions' quota on the history of a Standard workflow execution. */
export const MAX_HISTORY_EVENTS = 25_000;
/** Lambda's recursive loop detection lets a chain run a function 16 times. */
export const MAX_REPEATS_PER_ORDER = 16;
/** Events one order may publish between two submissions. */
export const MAX_EVENTS_PER_ORDER = 1_000;

/** The error an order stopped by a guard fails with (Step Functions' `Error`/`Cause`). */
export interface LoopFailure {
  Error: 'LoopDetected';
  Cause: string;
}

/** How many names to keep per order to tell which ones repeat. */
const TAIL = 64;
const MAX_TRACKED_ORDERS = 10_000;

interface Track {
  count: number;
  repeats: Map<string, number>;
  tail: string[];
  failure?: LoopFailure;
  /** Events mode: the order's terminal event was published (a loop found later fails nothing). */
  ended?: boolean;
}

/** The repeating part at the end of a sequence of names, as "A → B → A" (or the last names if none repeats). */
export function describeLoop(names: readonly string[]): string {
  for (let period = 1; period * 2 <= names.length; period++) {
    const last = names.slice(-period);
    const before = names.slice(-2 * period, -period);
    if (last.every((name, i) => name === before[i])) return [...last, last[0]].join(' → ');
  }
  return names.slice(-5).join(' → ');
}

/**
 * Events mode: the event types that repeat at the end of an order's events, as "A → B → A", in the order they
 * first appear there. Unlike a state machine's history, a cycle through a fan-out publishes from concurrent
 * branches, so its events interleave differently from one round to the next and are not strictly periodic.
 */
export function describeRepeatingEvents(names: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const name of names) counts.set(name, (counts.get(name) ?? 0) + 1);
  const repeating = [...new Set(names.filter((name) => counts.get(name)! > 1))];
  if (repeating.length === 0) return describeLoop(names);
  return [...repeating, repeating[0]].join(' → ');
}

/** Counts what each order does; the first count past a bound returns the failure, and it sticks. */
export class LoopGuard {
  private readonly orders = new Map<string, Track>();

  /**
   * Orchestration: one call per history event (`weight` for a Task, whose Lambda events the engine does not
   * report one by one). Returns the failure once the history reaches MAX_HISTORY_EVENTS.
   */
  historyEvent(orderId: string, stateName: string | undefined, weight = 1): LoopFailure | undefined {
    const track = this.track(orderId);
    if (track.failure) return track.failure;
    track.count += weight;
    if (stateName !== undefined && track.tail[track.tail.length - 1] !== stateName) remember(track.tail, stateName);
    // The execution's own ExecutionFailed is the last event that fits.
    if (track.count < MAX_HISTORY_EVENTS - 1) return undefined;
    track.failure = {
      Error: 'LoopDetected',
      Cause: `the execution reached ${MAX_HISTORY_EVENTS.toLocaleString('en-US')} history events, Step Functions' limit for a Standard workflow; the states ${describeLoop(track.tail)} repeat without reaching an end`,
    };
    return track.failure;
  }

  /**
   * Events: one call per event published for an order. The API's OrderPlaced starts the order over (a
   * resubmission is a new chain, as on AWS). Returns the failure when the order is past a bound (`first`
   * the first time, when the order is to be failed, unless a `terminal` event already ended it); events
   * after that get it too, so they are dropped.
   */
  eventPublished(
    orderId: string,
    detailType: string,
    startsOrder: boolean,
    terminal = false,
  ): { failure: LoopFailure; first: boolean } | undefined {
    if (startsOrder) this.orders.delete(orderId);
    const track = this.track(orderId);
    if (track.failure) return { failure: track.failure, first: false };
    track.count++;
    const repeats = (track.repeats.get(detailType) ?? 0) + 1;
    track.repeats.set(detailType, repeats);
    remember(track.tail, detailType);
    if (repeats > MAX_REPEATS_PER_ORDER) {
      track.failure = {
        Error: 'LoopDetected',
        Cause: `recursive loop detected: ${detailType} was published ${repeats} times for this order (more than ${MAX_REPEATS_PER_ORDER}, Lambda's recursion limit); the events ${describeRepeatingEvents(track.tail)} repeat, so the event was dropped`,
      };
    } else if (track.count > MAX_EVENTS_PER_ORDER) {
      track.failure = {
        Error: 'LoopDetected',
        Cause: `the order published more than ${MAX_EVENTS_PER_ORDER.toLocaleString('en-US')} events (last: ${describeLoop(track.tail)}), so the event was dropped`,
      };
    }
    if (track.failure) return { failure: track.failure, first: !track.ended };
    if (terminal) track.ended = true;
    return undefined;
  }

  /** Forgets an order that ended (orchestration keeps one track per running execution). */
  forget(orderId: string): void {
    this.orders.delete(orderId);
  }

  /** How many orders it counts for (memory: the orders not forgotten yet). */
  get size(): number {
    return this.orders.size;
  }

  private track(orderId: string): Track {
    let track = this.orders.get(orderId);
    if (!track) {
      track = { count: 0, repeats: new Map(), tail: [] };
      this.orders.set(orderId, track);
      // Bounded memory in a long `serve`: the oldest orders (long finished, almost always) are forgotten.
      if (this.orders.size > MAX_TRACKED_ORDERS) this.orders.delete(this.orders.keys().next().value!);
    }
    return track;
  }
}

function remember(tail: string[], name: string) {
  tail.push(name);
  if (tail.length > TAIL) tail.shift();
}
