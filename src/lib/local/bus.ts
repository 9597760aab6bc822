import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Naming } from '../blueprint/naming.js';
import { compilePattern } from '../events/pattern.js';
import { transformEventForTarget } from '../events/transformer.js';
import { buildOutcome, type OrderOutcome } from '../order/outcome.js';
import { FunctionError } from '../runtime/lambda-error.js';
import { LocalServiceError } from './aws-errors.js';
import { realClock, type Clock } from './clock.js';
import type { LocalRuntimeSpec } from './deploy.js';
import type { LocalLambda, PortHttpRequest, PortHttpResponse } from './lambda.js';
import { LoopGuard, type LoopFailure } from './loop-guard.js';
import type { Recorder } from './recorder.js';
import { listenOnLoopback } from './loopback.js';
import { StateError } from './state-error.js';
import type { DeliveryHandle, ExecutionRecord, LocalStore } from './store.js';
import { text } from '../json.js';

export interface PutEventsRequestEntry {
  Source?: string;
  DetailType?: string;
  Detail?: string;
  EventBusName?: string;
  Resources?: string[];
  Time?: string | number;
}

export interface PutEventsResponse {
  FailedEntryCount: number;
  Entries: Array<{ EventId: string } | { ErrorCode: string; ErrorMessage: string }>;
}

/** The event envelope EventBridge delivers to targets. */
export interface EventEnvelope {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: Record<string, unknown>;
}

// PutEvents quotas: 10 entries per call, 256 KB per call.
const MAX_ENTRIES = 10;
const MAX_REQUEST_BYTES = 256 * 1024;
/** Retry delays, scaled down from EventBridge's (exponential back-off over up to 24 h) so local runs stay fast. */
const RETRY_BASE_MS = 100;
const RETRY_MAX_MS = 2000;

/**
 * What the bus does, as AWS would be asked for it (`iam check` compares it with the policies): a function's
 * PutEvents through its endpoint (`endpointFor`), each attempt of a rule to invoke its target, dead letters.
 */
export interface BusObserver {
  published?(publisher: string, request: unknown): void;
  delivering?(rule: string, target: string): void;
  deadLettered?(rule: string, target: string): void;
}

/** One execution (submission) of an order as it passes through this process's bus. */
interface ExecutionTracker {
  record: ExecutionRecord;
  /** Events and deliveries of this execution not finished yet: at 0 with no outcome, the flow has stopped. */
  inFlight: number;
  lastEvent?: EventEnvelope;
  /** The first delivery of this execution that was dead-lettered: the order's failure once the flow is idle. */
  deadLettered?: { state: Record<string, unknown>; failure: { Error: string; Cause: string } };
  settled: boolean;
  done: Promise<OrderOutcome>;
  resolve: (outcome: OrderOutcome) => void;
}

/** A dead letter to redrive (see `LocalEventBus.redrive`). */
export interface RedriveLetter {
  id: number;
  rule: string;
  target: string;
  execution: number | null;
  attempts: number;
  error: string;
  event: EventEnvelope & Record<string, unknown>;
}

export interface RedriveRun {
  execution: number;
  /** Per letter: redelivered (true) or dead-lettered again (false). */
  delivered: boolean[];
  outcome: OrderOutcome;
}

export interface ReplayRun {
  execution: number;
  outcome: OrderOutcome;
}

/** How long an execution may sit idle without a terminal event before it ends (a handler's late publish). */
const STOPPED_FLOW_GRACE_MS = 50;
/**
 * How long an ended, idle execution is kept after its outcome: a handler's late event in that time still belongs
 * to it (after, it would start a new execution). Real time on any clock, as a memory cleanup.
 */
export const FORGET_ENDED_AFTER_MS = 10_000;

/**
 * The events mode on the local target: a custom event bus with EventBridge's PutEvents validation and
 * envelope, rules matched with the content-filtering implementation, input transformers, and asynchronous,
 * at-least-once delivery to Lambda targets with a retry policy and dead letters. Each `OrderPlaced` from the
 * API starts an execution of the order (PutEvents is not idempotent); the events that follow belong to it, and
 * it ends exactly once: with a terminal event, a dead letter (FAILED), or a flow that stops without a terminal
 * event (FAILED, naming the last event). Accepted events and pending deliveries are queued in the store. It
 * also serves the
 * EventBridge JSON protocol on a loopback port, so functions publish with the real SDK client.
 */
export class LocalEventBus {
  private server: Server | undefined;
  private endpoint = '';
  private lambda: LocalLambda | undefined;
  private readonly rules: Array<{
    name: string;
    arn: string;
    target: string;
    matches: (event: unknown) => boolean;
    transformer?: Parameters<typeof transformEventForTarget>[0];
  }>;
  private readonly trackers = new Map<string, ExecutionTracker>();
  private readonly loops = new LoopGuard();
  private inFlight = 0;
  private idleWaiters: Array<() => void> = [];
  /** Pending "has this flow stopped?" checks (run at once on close). */
  private readonly stopChecks = new Set<() => void>();
  private readonly flow: NonNullable<LocalRuntimeSpec['events']>;
  /** Fault injection (faults.ts): how often and how late each accepted event is routed. */
  faults: ((orderId: string, event: EventEnvelope) => { copies: number; delayMs: number }) | undefined;
  observer: BusObserver | undefined;

  constructor(
    private readonly deployment: LocalRuntimeSpec,
    private readonly names: Naming,
    private readonly store: LocalStore,
    private readonly recorder: Recorder,
    /** The retry back-off's and injected event delays' time (tests run it faster; see clock.ts). */
    private readonly clock: Clock = realClock,
  ) {
    this.flow = deployment.events!;
    this.rules = this.flow.rules.map((rule) => ({
      name: rule.name,
      arn: names.ruleArn(rule.name),
      target: rule.target,
      matches: compilePattern(rule.pattern),
      ...(rule.inputTransformer ? { transformer: rule.inputTransformer } : {}),
    }));
  }

  attach(lambda: LocalLambda): void {
    this.lambda = lambda;
  }

  /** Serves PutEvents (`X-Amz-Target: AWSEvents.PutEvents`, JSON 1.1) on 127.0.0.1; returns the endpoint URL. */
  async listen(): Promise<string> {
    const server = createServer((req, res) => void this.serve(req, res));
    this.server = server;
    const port = await listenOnLoopback(server, `events bus ${this.names.busArn()}`);
    server.unref();
    this.endpoint = `http://127.0.0.1:${port}`;
    return this.endpoint;
  }

  /** The endpoint one function publishes to: the path names the publisher (the SDK keeps an endpoint's path). */
  endpointFor(fn: string): string {
    return `${this.endpoint}/functions/${encodeURIComponent(fn)}`;
  }

  /** PutEvents: validates the request and each entry as EventBridge does; accepted events are routed asynchronously. */
  putEvents(request: { Entries?: PutEventsRequestEntry[] }): PutEventsResponse {
    const entries = request?.Entries;
    if (!Array.isArray(entries) || entries.length === 0)
      throw new LocalServiceError(
        'ValidationException',
        "1 validation error detected: Value null at 'entries' failed to satisfy constraint: Member must not be null",
      );
    if (entries.length > MAX_ENTRIES) {
      throw new LocalServiceError(
        'ValidationException',
        `1 validation error detected: Value '[...]' at 'entries' failed to satisfy constraint: Member must have length less than or equal to ${MAX_ENTRIES}`,
      );
    }
    if (entries.reduce((size, entry) => size + entrySize(entry), 0) > MAX_REQUEST_BYTES)
      throw new LocalServiceError('ValidationException', 'Total size of the entries in the request is over the limit.');
    const results: PutEventsResponse['Entries'] = [];
    let failed = 0;
    for (const entry of entries) {
      const result = this.accept(entry);
      if ('ErrorCode' in result) failed++;
      results.push(result);
    }
    return { FailedEntryCount: failed, Entries: results };
  }

  /**
   * PutEvents by a function (whatever carried it to the bus): observed as that function's call before it is
   * validated, as AWS authorizes a call before it looks at the entries.
   */
  putEventsFrom(publisher: string, request: { Entries?: PutEventsRequestEntry[] }): PutEventsResponse {
    this.observer?.published?.(publisher, request);
    return this.putEvents(request);
  }

  /** The outcome of an order whose events pass through this process. */
  outcome(orderId: string): Promise<OrderOutcome> | undefined {
    return this.trackers.get(orderId)?.done;
  }

  /**
   * What this bus still holds per order: executions it tracks and orders its loop guard counts for. An ended
   * execution is dropped once it has been idle for a while (see `forget`), so both stay flat over a long run.
   */
  retained(): { executions: number; loopGuards: number } {
    return { executions: this.trackers.size, loopGuards: this.loops.size };
  }

  /** Resolves when no delivery is in flight (fan-out branches included). */
  idle(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  async close(): Promise<void> {
    await this.idle();
    // Flows that stopped without a terminal event end now, before the store closes.
    for (const check of [...this.stopChecks]) check();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private accept(entry: PutEventsRequestEntry): PutEventsResponse['Entries'][number] {
    const busName = entry.EventBusName ?? 'default';
    if (busName !== this.names.busName() && busName !== this.names.busArn()) {
      return { ErrorCode: 'ResourceNotFoundException', ErrorMessage: `Event bus ${busName} does not exist.` };
    }
    if (!entry.Source || !entry.DetailType || entry.Detail === undefined) {
      return {
        ErrorCode: 'InvalidArgument',
        ErrorMessage: 'Parameter(s) Source, DetailType, or Detail must be specified.',
      };
    }
    let detail: unknown;
    try {
      detail = JSON.parse(entry.Detail);
    } catch {
      return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
    }
    // EventBridge: Detail must be a JSON object (not an array or a scalar).
    if (!detail || typeof detail !== 'object' || Array.isArray(detail))
      return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
    const now = new Date();
    const time =
      entry.Time !== undefined ? new Date(typeof entry.Time === 'number' ? entry.Time * 1000 : entry.Time) : now;
    const event: EventEnvelope = {
      version: '0',
      id: randomUUID(),
      'detail-type': entry.DetailType,
      source: entry.Source,
      account: this.names.busArn().split(':')[4],
      // EventBridge envelope time has second precision.
      time: time.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region: this.names.region,
      resources: entry.Resources ?? [],
      detail: detail as Record<string, unknown>,
    };
    const orderId = typeof event.detail.orderId === 'string' ? event.detail.orderId : '-';
    const published = () =>
      this.recorder.record(orderId, 'events', 'EventPublished', {
        name: event['detail-type'],
        timestamp: now.getTime(),
        details: { eventId: event.id, source: event.source, detail: event.detail },
      });
    let tracker = orderId === '-' ? undefined : this.trackers.get(orderId);
    const submission = event['detail-type'] === this.flow.orderPlaced && event.source === this.flow.source;
    // The common case: the event is matched now and queued once per matching rule, with this turn's writes (an
    // order's first event with its claim); the deliveries start after PutEvents has answered. Injected event
    // faults (drop, duplicate, delay: decided below, after the claim) queue it unrouted until it is routed.
    let prepared: Parameters<LocalEventBus['route']>[4];
    const prepare = (executionId: number | undefined) => {
      const rules = this.rules.filter((rule) => rule.matches(event));
      const names = rules.map((rule) => rule.name);
      const rows = executionId === undefined ? [] : this.store.enqueueDeliveries(executionId, orderId, names, event);
      prepared = { rules, rows };
    };
    let queued: DeliveryHandle | undefined;
    if (orderId !== '-' && (submission || !tracker)) {
      // A new execution, its first entry and the queued event in one transaction.
      const claim = this.store.claimExecution(
        orderId,
        'events',
        entry.Detail,
        () => true,
        (record) => {
          this.recorder.bind(record);
          tracker = this.startTracker(record);
          published();
          if (this.faults) queued = this.store.enqueueDelivery(record.id, orderId, null, event);
          else prepare(record.id);
          // The request's and this event's entries commit with the claim; the execution's later entries stay in
          // memory and are written once, packed, with its outcome, as orchestration's (LocalStore.bufferLog):
          // about 20 rows fewer per order, each inserted and then read back and deleted by packing.
          this.recorder.bind(record, { buffered: true });
        },
      );
      if (!claim.created) throw new LocalServiceError('InternalException', 'the order could not be recorded');
    } else {
      if (tracker && !this.recorder.executionOf(orderId)) this.recorder.bind(tracker.record);
      published();
    }
    if (tracker) tracker.lastEvent = event;
    // Loop guard: an order past its bounds (also under --allow-cycles) gets no more deliveries and fails once.
    const type = event['detail-type'];
    const terminal = this.flow.outcome.succeeded.includes(type) || this.flow.outcome.failed.includes(type);
    const loop = orderId === '-' ? undefined : this.loops.eventPublished(orderId, type, submission, terminal);
    if (loop) {
      this.stopLoop(orderId, event, now, loop.failure, loop.first, tracker);
      for (const row of [...(queued ? [queued] : []), ...(prepared?.rows ?? [])]) this.store.completeDelivery(row);
      return { EventId: event.id };
    }
    // Injected event faults (--inject event:...): a dropped event reaches no rule and no outcome observer, so
    // its order ends FlowStopped; a duplicate is routed twice; a delayed one is routed late.
    const delivery = this.faults?.(orderId, event) ?? { copies: 1, delayMs: 0 };
    if (tracker && delivery.copies > 0) this.terminal(tracker, event, now);
    if (!prepared && !queued) {
      if (delivery.copies === 1 && delivery.delayMs === 0) prepare(tracker?.record.id);
      else if (tracker) queued = this.store.enqueueDelivery(tracker.record.id, orderId, null, event);
    }
    const routes = Math.max(1, delivery.copies);
    for (let copy = 1; copy <= routes; copy++) {
      this.begin(tracker);
      // Runs from a timer: a store fault (a full disk) is the store's to report (see storeFaultIsKept).
      const routeOnce = () => {
        try {
          if (delivery.copies > 0) this.route(orderId, event, now, tracker, prepared);
          if (queued && copy === routes) this.store.completeDelivery(queued);
        } catch (error) {
          storeFaultIsKept(error);
        } finally {
          this.end(tracker);
        }
      };
      if (delivery.delayMs > 0) this.clock.setTimer(routeOnce, delivery.delayMs);
      else setImmediate(routeOnce);
    }
    return { EventId: event.id };
  }

  /** Records the rules an event matched and starts a delivery to each; `prepared`: matched and queued already. */
  private route(
    orderId: string,
    event: EventEnvelope,
    ingestedAt: Date,
    tracker: ExecutionTracker | undefined,
    prepared?: { rules: Array<LocalEventBus['rules'][number]>; rows: DeliveryHandle[] },
  ) {
    const matched = prepared?.rules ?? this.rules.filter((rule) => rule.matches(event));
    this.recorder.record(orderId, 'events', 'RulesMatched', {
      name: event['detail-type'],
      details: { eventId: event.id, rules: matched.map((r) => r.name) },
    });
    for (const [index, rule] of matched.entries()) {
      this.begin(tracker);
      const queued = prepared
        ? prepared.rows[index]
        : tracker
          ? this.store.enqueueDelivery(tracker.record.id, orderId, rule.name, event)
          : undefined;
      void this.deliver(orderId, event, rule, ingestedAt, tracker)
        .finally(() => {
          try {
            if (queued) this.store.completeDelivery(queued);
          } finally {
            this.end(tracker);
          }
        })
        .catch(storeFaultIsKept);
    }
  }

  private async deliver(
    orderId: string,
    event: EventEnvelope,
    rule: LocalEventBus['rules'][number],
    ingestedAt: Date,
    tracker: ExecutionTracker | undefined,
  ): Promise<boolean> {
    const { maximumRetryAttempts, maximumEventAgeSeconds } = this.flow.delivery;
    const input = transformEventForTarget(rule.transformer, event as unknown as Record<string, unknown>, {
      ruleName: this.names.resource(rule.name),
      ruleArn: rule.arn,
      ingestionTime: ingestedAt.toISOString(),
    });
    for (let attempt = 1; ; attempt++) {
      const started = Date.now();
      // One attempt's entry: DeliverySucceeded with the result, or DeliveryFailed with the error.
      const recordAttempt = (type: 'DeliverySucceeded' | 'DeliveryFailed', outcome: Record<string, unknown>) =>
        this.recorder.record(orderId, 'events', type, {
          name: event['detail-type'],
          details: {
            eventId: event.id,
            rule: rule.name,
            target: rule.target,
            attempt,
            durationMs: Date.now() - started,
            ...outcome,
          },
        });
      try {
        this.observer?.delivering?.(rule.name, rule.target);
        const result = await this.lambda!.invoke(rule.target, input, { orderId });
        recordAttempt('DeliverySucceeded', { result });
        return true;
      } catch (error) {
        const payload =
          error instanceof FunctionError
            ? error.payload
            : { errorType: 'Error', errorMessage: String(error), trace: [] };
        recordAttempt('DeliveryFailed', { error: payload.errorType, cause: payload.errorMessage });
        // The event's age on the retries' clock (the real one unless a test runs it faster).
        const ageSeconds = ((Date.now() - ingestedAt.getTime()) * this.clock.speed) / 1000;
        // EventBridge RetryPolicy: stop after MaximumRetryAttempts retries or once the event is older than MaximumEventAgeInSeconds.
        if (attempt > maximumRetryAttempts || ageSeconds >= maximumEventAgeSeconds) {
          this.deadLetter(orderId, event, rule, attempt, payload, tracker);
          return false;
        }
        await this.clock.sleep(Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** (attempt - 1)));
      }
    }
  }

  private deadLetter(
    orderId: string,
    event: EventEnvelope,
    rule: LocalEventBus['rules'][number],
    attempts: number,
    error: { errorType: string; errorMessage: string },
    tracker: ExecutionTracker | undefined,
  ) {
    this.observer?.deadLettered?.(rule.name, rule.target);
    // Like an SQS dead-letter queue message: the event plus why it could not be delivered.
    this.store.deadLetter(tracker?.record.id, {
      orderId,
      rule: rule.name,
      target: rule.target,
      attempts,
      error: error.errorType,
      cause: error.errorMessage,
      event: event as unknown as Record<string, unknown>,
    });
    this.recorder.record(orderId, 'events', 'DeadLettered', {
      name: event['detail-type'],
      details: {
        eventId: event.id,
        rule: rule.name,
        target: rule.target,
        attempts,
        error: error.errorType,
        cause: error.errorMessage,
      },
    });
    // The order cannot go on past this delivery. It fails with the handler's error as soon as nothing else of it
    // is in flight (see `stopped`): a dead letter on a side branch of a fan-out (e.g. a notification) must not
    // fail an order whose main branch still reaches its terminal event. The outcome's error is the handler's,
    // as a Task failure reports it in orchestration (both modes give the same answer); the rule, the target and
    // the attempts are in the DeadLettered entry that `logs` and `trace` show.
    if (tracker && !tracker.deadLettered) {
      tracker.deadLettered = { state: event.detail, failure: { Error: error.errorType, Cause: error.errorMessage } };
    }
  }

  // ---- redrive and replay (`fulfill redrive`, `fulfill replay`; README "Redrive and replay") ----

  /**
   * Redrive: re-delivers an order's dead letters, in a new execution of the order (as a resent order id starts
   * one), so the execution that failed keeps its one outcome and this one reaches its own: the redelivered
   * handlers publish their next events, which flow on as usual. Each letter is delivered to its rule's target
   * with the rule's input transformer and retry policy, as the first time; the event's age counts from now.
   * A letter is removed once its redelivery ended: delivered, or dead-lettered again (the new letter replaces
   * it in the same commit). A letter that was never routed (an interrupted execution's) is routed now.
   * Undefined when the order has an execution running (in another process): it is not redriven.
   */
  async redrive(orderId: string, input: string, letters: readonly RedriveLetter[]): Promise<RedriveRun | undefined> {
    const tracker = this.startRun(orderId, input, () => {
      for (const letter of letters)
        this.recorder.record(orderId, 'events', 'DeadLetterRedriven', {
          name: String(letter.event['detail-type']),
          details: {
            eventId: letter.event.id,
            rule: letter.rule,
            target: letter.target,
            fromExecution: letter.execution,
            attempts: letter.attempts,
            lastError: letter.error,
          },
        });
    });
    if (!tracker) return undefined;
    tracker.lastEvent = letters.at(-1)?.event;
    this.begin(tracker); // the execution stays open until every letter is on its way
    const deliveries = letters.map((letter) => {
      const rule = this.rules.find((r) => r.name === letter.rule);
      const now = new Date();
      this.begin(tracker);
      if (!rule) {
        return new Promise<boolean>((resolve) =>
          setImmediate(() => {
            try {
              this.route(orderId, letter.event, now, tracker);
            } finally {
              this.store.removeDeadLetter(letter.id);
              this.end(tracker);
              resolve(true);
            }
          }),
        );
      }
      const queued = this.store.enqueueDelivery(tracker.record.id, orderId, rule.name, letter.event);
      return this.deliver(orderId, letter.event, rule, now, tracker)
        .then((delivered) => {
          this.store.removeDeadLetter(letter.id);
          return delivered;
        })
        .finally(() => {
          try {
            this.store.completeDelivery(queued);
          } finally {
            this.end(tracker);
          }
        });
    });
    this.end(tracker);
    const delivered = await Promise.all(deliveries);
    return { execution: tracker.record.execution, delivered, outcome: await tracker.done };
  }

  /**
   * Replay: re-delivers recorded events, in their original order, in a new execution of the order, as an
   * EventBridge archive replay does: each event carries `replay-name` and goes to the rules given with it (all
   * the rules it matches, or only `--rule`'s, like `Destination.FilterArns`); the events the targets publish
   * in turn are new events and flow on as usual. Each event's deliveries end before the next event is sent.
   * Undefined when the order has an execution running (in another process).
   */
  async replay(
    orderId: string,
    input: string,
    replayName: string,
    plan: ReadonlyArray<{ event: EventEnvelope; rules: readonly string[] }>,
  ): Promise<ReplayRun | undefined> {
    const tracker = this.startRun(orderId, input, () =>
      this.recorder.record(orderId, 'events', 'ReplayStarted', {
        details: { replayName, events: plan.length, message: `replaying ${plan.length} event(s) as ${replayName}` },
      }),
    );
    if (!tracker) return undefined;
    this.begin(tracker); // held while the events are replayed one by one
    try {
      for (const { event, rules } of plan) {
        const replayed = { ...event, 'replay-name': replayName } as EventEnvelope;
        tracker.lastEvent = replayed;
        this.recorder.record(orderId, 'events', 'EventReplayed', {
          name: event['detail-type'],
          details: { eventId: event.id, replayName, source: event.source, rules },
        });
        const now = new Date();
        await Promise.all(
          rules.map((name) => {
            const rule = this.rules.find((r) => r.name === name)!;
            this.begin(tracker);
            const queued = this.store.enqueueDelivery(tracker.record.id, orderId, rule.name, replayed);
            return this.deliver(orderId, replayed, rule, now, tracker).finally(() => {
              this.store.completeDelivery(queued);
              this.end(tracker);
            });
          }),
        );
      }
    } finally {
      this.end(tracker);
    }
    return { execution: tracker.record.execution, outcome: await tracker.done };
  }

  /** A new execution of the order for a redrive or a replay, with its first entries; undefined if one runs. */
  private startRun(orderId: string, input: string, first: () => void): ExecutionTracker | undefined {
    let tracker: ExecutionTracker | undefined;
    const claim = this.store.claimExecution(
      orderId,
      'events',
      input,
      (latest) => latest?.status !== 'RUNNING',
      (record) => {
        this.recorder.bind(record);
        tracker = this.startTracker(record);
        first();
      },
    );
    this.store.commit();
    return claim.created ? tracker : undefined;
  }

  private startTracker(record: ExecutionRecord): ExecutionTracker {
    let resolve!: (o: OrderOutcome) => void;
    const done = new Promise<OrderOutcome>((r) => (resolve = r));
    const tracker: ExecutionTracker = { record, inFlight: 0, settled: false, done, resolve };
    this.trackers.set(record.orderId, tracker);
    return tracker;
  }

  /** A terminal event (the flow's `outcome` events) ends its execution; returns whether it was one. */
  private terminal(tracker: ExecutionTracker, event: EventEnvelope, at: Date): boolean {
    const succeeded = this.flow.outcome.succeeded.includes(event['detail-type']);
    const failed = this.flow.outcome.failed.includes(event['detail-type']);
    if (!succeeded && !failed) return false;
    const error = event.detail.error as { Error?: unknown; Cause?: unknown } | undefined;
    this.finish(
      tracker,
      succeeded ? 'SUCCEEDED' : 'FAILED',
      event.detail,
      at,
      failed ? { Error: text(error?.Error ?? event['detail-type']), Cause: text(error?.Cause ?? '') } : undefined,
      event['detail-type'],
    );
    return true;
  }

  /** Records the execution's one outcome; later terminal events or failures of the same execution change nothing. */
  private finish(
    tracker: ExecutionTracker,
    status: 'SUCCEEDED' | 'FAILED',
    state: Record<string, unknown>,
    at: Date,
    failure?: { Error: string; Cause: string },
    name?: string,
  ) {
    if (tracker.settled) return;
    tracker.settled = true;
    const outcome = buildOutcome({
      orderId: tracker.record.orderId,
      mode: 'events',
      status,
      state,
      ...(failure ? { failure } : {}),
      startedAt: tracker.record.startDate,
      finishedAt: at.toISOString(),
    });
    this.recorder.record(tracker.record.orderId, 'events', 'OutcomeRecorded', {
      ...(name ? { name } : {}),
      details: { status: outcome.status },
    });
    // Queued with the turn's log entries: whoever sees the outcome can read the whole history.
    this.store.finishExecution(tracker.record.id, status, outcome);
    tracker.resolve(outcome);
  }

  /** Ends an execution whose flow stopped without a terminal event (no rule matched, or a branch ended). */
  private stopped(tracker: ExecutionTracker) {
    if (tracker.settled || tracker.inFlight > 0) return;
    if (tracker.deadLettered) {
      this.finish(tracker, 'FAILED', tracker.deadLettered.state, new Date(), tracker.deadLettered.failure);
      return;
    }
    const last = tracker.lastEvent;
    const terminalEvents = [...this.flow.outcome.succeeded, ...this.flow.outcome.failed].join(' or ');
    this.finish(tracker, 'FAILED', last?.detail ?? { orderId: tracker.record.orderId }, new Date(), {
      Error: 'FlowStopped',
      Cause: `the flow stopped after ${last ? `${last['detail-type']} (from ${last.source})` : 'its first event'}: no rule led on to ${terminalEvents}`,
    });
  }

  /** An order past a loop bound: its event is dropped (not delivered) and the order fails once, naming the loop. */
  private stopLoop(
    orderId: string,
    event: EventEnvelope,
    at: Date,
    loop: LoopFailure,
    first: boolean,
    tracker: ExecutionTracker | undefined,
  ) {
    this.recorder.record(orderId, 'events', 'EventDropped', {
      name: event['detail-type'],
      details: { eventId: event.id, error: loop.Error, cause: loop.Cause },
    });
    if (first && tracker) this.finish(tracker, 'FAILED', event.detail, at, loop);
  }

  private begin(tracker?: ExecutionTracker) {
    this.inFlight++;
    if (tracker) tracker.inFlight++;
  }

  private end(tracker?: ExecutionTracker) {
    this.inFlight--;
    if (tracker && --tracker.inFlight === 0) {
      if (!tracker.settled) {
        // A handler may publish just after its delivery returned: give it a moment before calling the flow stopped.
        const check = () => {
          this.stopChecks.delete(check);
          clearTimeout(timer);
          try {
            this.stopped(tracker);
            this.forget(tracker);
          } catch (error) {
            storeFaultIsKept(error);
          }
        };
        const timer = setTimeout(check, STOPPED_FLOW_GRACE_MS);
        this.stopChecks.add(check);
      } else {
        this.forget(tracker);
      }
    }
    if (this.inFlight === 0) for (const waiter of this.idleWaiters.splice(0)) waiter();
  }

  /** A settled, idle execution: its later events (none expected) would start a new one; memory stays flat. */
  private forget(tracker: ExecutionTracker) {
    if (!tracker.settled || tracker.inFlight > 0) return;
    this.recorder.release(tracker.record.orderId, tracker.record.id);
    setTimeout(() => {
      if (this.trackers.get(tracker.record.orderId) !== tracker || tracker.inFlight > 0) return;
      this.trackers.delete(tracker.record.orderId);
      // Its loop-guard counts go with it: a later event starts a new execution, and a resubmission starts over
      // anyway. Kept, they were the one thing growing per order (a Map and an array each, ~1 KB: 6 MB of live
      // heap at 8,000 orders, and the heap V8 sizes from it), bounded only at LoopGuard's 10,000 orders.
      this.loops.forget(tracker.record.orderId);
    }, FORGET_ENDED_AFTER_MS).unref();
  }

  private async serve(req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) if (typeof value === 'string') headers[name] = value;
    const response = this.serveRequest({
      method: req.method ?? 'GET',
      path: req.url ?? '/',
      headers,
      body: Buffer.concat(chunks).toString('utf8'),
    });
    res.writeHead(response.statusCode, response.headers);
    res.end(response.body);
  }

  /**
   * One EventBridge JSON 1.1 request, as the SDK sent it (over HTTP, or over a function's message port: see
   * LocalLambda's localEndpoint), answered as EventBridge answers it.
   */
  serveRequest(request: PortHttpRequest): PortHttpResponse {
    const send = (statusCode: number, body: unknown): PortHttpResponse => ({
      statusCode,
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        'x-amzn-requestid': randomUUID(),
        // The SDK corrects its clock skew from the Date header of every response (Node's HTTP server adds one).
        date: new Date().toUTCString(),
      },
      body: JSON.stringify(body),
    });
    const target = headerOf(request.headers, 'x-amz-target');
    if (request.method !== 'POST' || target !== 'AWSEvents.PutEvents') {
      return send(400, {
        __type: 'UnknownOperationException',
        message: `fulfill's local bus serves PutEvents only (got ${String(target)})`,
      });
    }
    let body: { Entries?: PutEventsRequestEntry[] };
    try {
      body = JSON.parse(request.body) as { Entries?: PutEventsRequestEntry[] };
    } catch {
      return send(400, { __type: 'SerializationException', message: 'the request body is not valid JSON' });
    }
    try {
      const publisher = /^\/functions\/([^/?]+)/.exec(request.path)?.[1];
      return send(200, publisher ? this.putEventsFrom(decodeURIComponent(publisher), body) : this.putEvents(body));
    } catch (error) {
      const e = error as LocalServiceError;
      return send(e.$metadata?.httpStatusCode ?? 500, { __type: e.name ?? 'InternalException', message: e.message });
    }
  }
}

/** A request header by name, whatever its case (the SDK and Node's HTTP server both use lower case). */
function headerOf(headers: Record<string, string>, name: string): string | undefined {
  if (name in headers) return headers[name];
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === name) return value;
  return undefined;
}

/**
 * An entry's size as EventBridge counts it against the 256 KB PutEvents limit (AWS: "Calculating PutEvents event
 * entry size"): 14 bytes for a Time, then the UTF-8 bytes of Source, DetailType, Detail and each Resource.
 */
function entrySize(entry: PutEventsRequestEntry): number {
  if (!entry || typeof entry !== 'object') return 0;
  let size = entry.Time !== undefined ? 14 : 0;
  const resources = Array.isArray(entry.Resources) ? entry.Resources : [entry.Resources];
  for (const value of [entry.Source, entry.DetailType, entry.Detail, ...resources]) size += utf8Bytes(value);
  return size;
}

/** A value's UTF-8 size (a hostile request may send any JSON where a string belongs). */
function utf8Bytes(value: unknown): number {
  if (value === undefined || value === null) return 0;
  return Buffer.byteLength(typeof value === 'string' ? value : String(JSON.stringify(value)));
}

/**
 * For a delivery nobody awaits: the store's fault (a full disk) is kept by the store, which fails every later write
 * and sets the exit code, so here it is not an unhandled rejection (a stack trace instead of exit 5). Anything else
 * is a bug and stays one.
 */
function storeFaultIsKept(error: unknown): void {
  if (!(error instanceof StateError)) throw error;
}
