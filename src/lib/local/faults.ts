import { UserError } from '../errors.js';
import type { Mode } from '../config/schema.js';
import { FunctionError } from '../runtime/lambda-error.js';
import type { EventEnvelope, PutEventsRequestEntry, PutEventsResponse } from './bus.js';
import { realClock, type Clock } from './clock.js';
import type { LocalRuntimeSpec } from './deploy.js';
import type { LocalLambda } from './lambda.js';
import type { Recorder } from './recorder.js';

/**
 * Fault injection on the local target, the same `--inject` flags for both modes:
 * - `<handler>:throw:<ErrorType>[:<message>]`: the handler throws that error (every invocation);
 * - `<handler>:delay:<duration>`: the handler takes that much longer (a timeout if it exceeds the function's);
 * - `<handler>:timeout`: the invocation runs into the function's timeout (`Sandbox.Timedout`);
 * - `<handler>:fail:<n>`: the first n attempts per order fail with `Lambda.ServiceException` (a transient
 *   Lambda error, the one the template's Retry and the bus's retry policy retry), later attempts run;
 * - `event:<detail-type>:duplicate|drop|delay:<duration>` (events mode): EventBridge delivers at least once and
 *   not in order, so an event may reach its rules twice, late, or (a lost event) never.
 * Every injected fault is recorded as a `FaultInjected` log entry with `details.injected: true`.
 */
export type HandlerFault =
  | { kind: 'throw'; handler: string; errorType: string; message?: string }
  | { kind: 'delay'; handler: string; ms: number }
  | { kind: 'timeout'; handler: string }
  | { kind: 'fail'; handler: string; attempts: number };

export type EventFault =
  { kind: 'duplicate' | 'drop'; detailType: string } | { kind: 'delay'; detailType: string; ms: number };

/** A fault as given, plus (for the programmatic API and tests) an optional order it is limited to. */
export type Fault = (HandlerFault | EventFault) & { spec: string; orderId?: string };

export interface FaultPlan {
  readonly faults: readonly Fault[];
}

export const NO_FAULTS: FaultPlan = { faults: [] };

const DURATION = /^(\d+(?:\.\d+)?)(ms|s)$/;

function parseDuration(text: string | undefined, spec: string): number {
  const m = DURATION.exec(text ?? '');
  if (!m)
    throw new UserError(
      `--inject ${spec}: the duration must look like 500ms or 2s (got ${JSON.stringify(text ?? '')})`,
    );
  return Math.round(Number(m[1]) * (m[2] === 's' ? 1000 : 1));
}

const USAGE = [
  'Handler faults: <handler>:throw:<ErrorType>[:<message>], <handler>:delay:<duration>, <handler>:timeout, <handler>:fail:<n>.',
  'Event faults (events mode): event:<detail-type>:duplicate, event:<detail-type>:drop, event:<detail-type>:delay:<duration>.',
];

/** Parses `--inject` values; each error names the value and the accepted forms. */
export function parseFaults(specs: readonly string[] = []): FaultPlan {
  const faults = specs.map((spec): Fault => {
    const [target, kind, ...rest] = spec.split(':');
    if (!target || !kind)
      throw new UserError(`--inject ${spec}: expected <handler>:<fault> or event:<detail-type>:<fault>`, USAGE);
    if (target === 'event') {
      const [what, arg] = rest;
      if (what === 'duplicate' || what === 'drop') return { kind: what, detailType: kind, spec };
      if (what === 'delay') return { kind: 'delay', detailType: kind, ms: parseDuration(arg, spec), spec };
      throw new UserError(
        `--inject ${spec}: an event fault is duplicate, drop or delay:<duration> (got ${JSON.stringify(what ?? '')})`,
        USAGE,
      );
    }
    switch (kind) {
      case 'throw': {
        const [errorType, ...message] = rest;
        if (!errorType || !/^[A-Za-z][\w.]*$/.test(errorType))
          throw new UserError(
            `--inject ${spec}: throw needs an error type such as Error or PaymentAuthorizationFailed`,
            USAGE,
          );
        return { kind, handler: target, errorType, ...(message.length ? { message: message.join(':') } : {}), spec };
      }
      case 'delay':
        return { kind, handler: target, ms: parseDuration(rest[0], spec), spec };
      case 'timeout':
        return { kind, handler: target, spec };
      case 'fail': {
        const attempts = Number(rest[0]);
        if (!Number.isInteger(attempts) || attempts < 1)
          throw new UserError(
            `--inject ${spec}: fail needs a number of attempts of at least 1 (got ${JSON.stringify(rest[0] ?? '')})`,
            USAGE,
          );
        return { kind, handler: target, attempts, spec };
      }
      default:
        throw new UserError(`--inject ${spec}: unknown fault "${kind}"`, USAGE);
    }
  });
  return { faults };
}

export function isEventFault(fault: Fault): fault is EventFault & { spec: string; orderId?: string } {
  return 'detailType' in fault;
}

/** The faults that apply to a stage in `mode`: event faults only exist where there are events. */
export function faultsForMode(plan: FaultPlan, mode: Mode): FaultPlan {
  return { faults: plan.faults.filter((f) => mode === 'events' || !isEventFault(f)) };
}

/** Refuses faults that name a handler or event type the deployment does not have (a typo would inject nothing). */
export function checkFaults(plan: FaultPlan, deployment: LocalRuntimeSpec): void {
  const handlers = new Set(deployment.functions.map((f) => f.name));
  const flow = deployment.events;
  const detailTypes = new Set(
    flow
      ? [
          flow.orderPlaced,
          ...Object.values(flow.functions).flatMap((r) => [
            ...r.publishes.map((p) => p.detailType),
            ...r.onError.map((e) => e.detailType),
          ]),
        ]
      : [],
  );
  for (const fault of plan.faults) {
    if (isEventFault(fault)) {
      if (!flow)
        throw new UserError(
          `--inject ${fault.spec}: event faults need an events-mode stage ("${deployment.stage}" runs ${deployment.mode})`,
        );
      if (!detailTypes.has(fault.detailType))
        throw new UserError(`--inject ${fault.spec}: no function publishes "${fault.detailType}"`, [
          `Event types: ${[...detailTypes].join(', ')}.`,
        ]);
    } else if (!handlers.has(fault.handler)) {
      throw new UserError(`--inject ${fault.spec}: "${fault.handler}" is not a handler of this stage`, [
        `Handlers: ${[...handlers].join(', ')}.`,
      ]);
    }
  }
}

export interface FaultContext {
  deployment: LocalRuntimeSpec;
  recorder: Recorder;
  /** Events mode: the bus, to publish what the events wrapper would publish for a caught error. */
  publish?: (request: { Entries: PutEventsRequestEntry[] }) => PutEventsResponse;
  busName?: string;
  /** The time injected delays and timeouts take (tests run it faster; see clock.ts). */
  clock?: Clock;
}

/**
 * The Lambda runtime with handler faults: a decorator around `invoke(name, event, {orderId})`, so both engines
 * see a failing, slow or timing-out function exactly where they would see a real one. In events mode a thrown
 * error that the function's `onError` lists is turned into its event, as the events wrapper inside the
 * function does for a handler's error; any other error fails the invocation (and the delivery is retried).
 */
export function withHandlerFaults(
  lambda: LocalLambda,
  plan: FaultPlan | undefined,
  context: FaultContext,
): LocalLambda {
  const faults = (plan?.faults ?? []).filter((f): f is HandlerFault & Fault => !isEventFault(f));
  if (faults.length === 0) return lambda;
  const clock = context.clock ?? realClock;
  const attempts = new Map<string, number>();
  const timeoutMs = context.deployment.functionsConfig.timeoutSeconds * 1000;
  const source = context.deployment.mode === 'orchestration' ? 'execution' : 'events';
  const timedOut = () =>
    new FunctionError({
      errorType: 'Sandbox.Timedout',
      errorMessage: `Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds (injected)`,
      trace: [],
    });

  const invoke = async (name: string, event: unknown, meta: { orderId?: string } = {}): Promise<unknown> => {
    const fault = faults.find((f) => f.handler === name && (!f.orderId || f.orderId === meta.orderId));
    if (!fault) return lambda.invoke(name, event, meta);
    const key = `${meta.orderId ?? '-'}:${name}`;
    const attempt = (attempts.get(key) ?? 0) + 1;
    attempts.set(key, attempt);
    const record = (details: Record<string, unknown>) =>
      context.recorder.record(meta.orderId ?? '-', source, 'FaultInjected', {
        name,
        details: { injected: true, fault: fault.kind, spec: fault.spec, attempt, ...details },
      });
    switch (fault.kind) {
      case 'fail':
        if (attempt > fault.attempts) return lambda.invoke(name, event, meta);
        record({ error: 'Lambda.ServiceException' });
        throw new FunctionError({
          errorType: 'Lambda.ServiceException',
          errorMessage: `injected: attempt ${attempt} of the first ${fault.attempts} fails`,
          trace: [],
        });
      case 'delay':
        record({ delayMs: fault.ms });
        if (fault.ms >= timeoutMs) {
          await clock.sleep(timeoutMs);
          throw timedOut();
        }
        await clock.sleep(fault.ms);
        return lambda.invoke(name, event, meta);
      case 'timeout':
        record({ error: 'Sandbox.Timedout' });
        await clock.sleep(timeoutMs);
        throw timedOut();
      case 'throw': {
        record({ error: fault.errorType });
        const payload = {
          errorType: fault.errorType,
          errorMessage: fault.message ?? `injected ${fault.errorType}`,
          trace: [],
        };
        const caught = context.deployment.events?.functions[name]?.onError.find(
          (e) => e.errorEquals.includes(payload.errorType) || e.errorEquals.includes('States.ALL'),
        );
        if (!caught || !context.publish) throw new FunctionError(payload);
        return publishCaught(context, name, event, caught.detailType, payload);
      }
    }
  };
  return new Proxy(lambda, {
    get(target, property) {
      if (property === 'invoke') return invoke;
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** What the events wrapper publishes when a handler's error is in `onError`: the state with `error`, like a Catch. */
function publishCaught(
  context: FaultContext,
  handler: string,
  event: unknown,
  detailType: string,
  payload: { errorType: string },
) {
  const e = (event ?? {}) as Record<string, unknown>;
  const state = e.Input && typeof e.Input === 'object' ? (e.Input as Record<string, unknown>) : e;
  const detail = { ...state, error: { Error: payload.errorType, Cause: JSON.stringify(payload) } };
  const response = context.publish!({
    Entries: [
      {
        EventBusName: context.busName,
        Source: `fulfill.${handler}`,
        DetailType: detailType,
        Detail: JSON.stringify(detail),
      },
    ],
  });
  const entry = response.Entries[0];
  if (!entry || !('EventId' in entry))
    throw new FunctionError({ errorType: 'Error', errorMessage: `PutEvents rejected ${detailType}`, trace: [] });
  return { published: detailType, eventId: entry.EventId };
}

/** What the bus does with one accepted event: how many times it is routed to the rules, and how late. */
export interface EventDelivery {
  copies: number;
  delayMs: number;
}

/** The bus's hook for event faults (undefined when there are none). */
export function eventFaultHook(
  plan: FaultPlan | undefined,
  recorder: Recorder,
): ((orderId: string, event: EventEnvelope) => EventDelivery) | undefined {
  const faults = (plan?.faults ?? []).filter(isEventFault);
  if (faults.length === 0) return undefined;
  return (orderId, event) => {
    const fault = faults.find((f) => f.detailType === event['detail-type'] && (!f.orderId || f.orderId === orderId));
    if (!fault) return { copies: 1, delayMs: 0 };
    const delivery =
      fault.kind === 'drop'
        ? { copies: 0, delayMs: 0 }
        : fault.kind === 'duplicate'
          ? { copies: 2, delayMs: 0 }
          : { copies: 1, delayMs: 'ms' in fault ? fault.ms : 0 };
    const details = {
      injected: true,
      fault: fault.kind,
      spec: fault.spec,
      eventId: event.id,
      ...(delivery.delayMs ? { delayMs: delivery.delayMs } : {}),
    };
    recorder.record(orderId, 'events', 'FaultInjected', { name: event['detail-type'], details });
    return delivery;
  };
}
