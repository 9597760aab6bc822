import type { AslDefinition, AslState } from '../blueprint/workflow.js';

/**
 * Time as the local engines schedule it: Step Functions' Retry intervals and Wait states, the bus's retry
 * back-off, injected delays and timeouts (`--inject`).
 * The product runs on `realClock`; tests run the same engines on `fastClock(n)`, where those waits pass n times
 * faster, so a Retry's 1 s + 2 s + 4 s costs a test milliseconds and not seconds.
 *
 * What stays in real time on every clock: a function's timeout (the handler really runs, in a worker thread) and
 * the engines' own grace periods and memory cleanups, which are about how long real work takes, not about a
 * configured delay; and polling for an outcome another process writes, where checking sooner only costs CPU.
 *
 * Hand-written (30 lines) because the fake-timer libraries (@sinonjs/fake-timers, jest's) give a clock that stands
 * still until a test advances it, in this thread only: the engines wait on worker threads and on SQLite as well, so
 * a manual clock would have to be advanced in step with real work. A clock that runs faster needs no such driving.
 */
export interface Clock {
  /** Resolves after `ms` of this clock's time. */
  sleep(ms: number): Promise<void>;
  /** Runs `callback` after `ms` of this clock's time. */
  setTimer(callback: () => void, ms: number): void;
  /**
   * How many of this clock's milliseconds pass in one real millisecond (1 for the real clock): for the timers that
   * aws-local-stepfunctions keeps itself, which the orchestration engine scales by it (`onClock`).
   */
  readonly speed: number;
}

/** A clock whose time passes `speed` times as fast as real time (1: the real clock). */
export function fastClock(speed: number): Clock {
  if (!(speed > 0) || !Number.isFinite(speed)) throw new RangeError(`a clock's speed must be > 0 (got ${speed})`);
  const setTimer = (callback: () => void, ms: number) => void setTimeout(callback, Math.max(0, ms / speed));
  return { speed, setTimer, sleep: (ms) => new Promise<void>((resolve) => setTimer(resolve, ms)) };
}

/** The product's clock: every delay takes as long as it says. */
export const realClock: Clock = fastClock(1);

/**
 * The definition as aws-local-stepfunctions must run it for its own timers to follow `clock`: Retry intervals
 * (and their MaxDelaySeconds) and Wait states' Seconds divided by the clock's speed, in nested Parallel branches
 * and Map processors too. Scaling the definition, not the library's `retryIntervalOverrides` (one fixed interval
 * per retrier), keeps BackoffRate, MaxDelaySeconds and jitter as written. A Wait on a Timestamp or a path waits
 * real time. On the real clock the definition is returned as it is.
 */
export function onClock(definition: AslDefinition, clock: Clock): AslDefinition {
  if (clock.speed === 1) return definition;
  const scaled = (seconds: unknown) => (typeof seconds === 'number' ? seconds / clock.speed : seconds);
  const machine = (states: Record<string, AslState>): Record<string, AslState> =>
    Object.fromEntries(Object.entries(states).map(([name, state]) => [name, stateOnClock(state)]));
  const nested = (value: unknown) => {
    const graph = value as { States?: Record<string, AslState> } | undefined;
    return graph?.States ? { ...graph, States: machine(graph.States) } : value;
  };
  const stateOnClock = (state: AslState): AslState => {
    const copy: AslState = { ...state };
    if (Array.isArray(state.Retry))
      copy.Retry = (state.Retry as Array<Record<string, unknown>>).map((retrier) => ({
        ...retrier,
        // 1 s is the ASL default interval: scaled too when the retrier leaves it out.
        IntervalSeconds: scaled(retrier.IntervalSeconds ?? 1),
        ...('MaxDelaySeconds' in retrier ? { MaxDelaySeconds: scaled(retrier.MaxDelaySeconds) } : {}),
      }));
    if (state.Type === 'Wait' && 'Seconds' in state) copy.Seconds = scaled(state.Seconds);
    if (Array.isArray(state.Branches)) copy.Branches = state.Branches.map(nested);
    if (state.Iterator) copy.Iterator = nested(state.Iterator);
    if (state.ItemProcessor) copy.ItemProcessor = nested(state.ItemProcessor);
    return copy;
  };
  return { ...definition, States: machine(definition.States) };
}
