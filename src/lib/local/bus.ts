import { randomUUID } from 'node:crypto';
import { appendFileSync, mkdirSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import type { Naming } from '../blueprint/naming.js';
import { compilePattern } from '../events/pattern.js';
import { transformEventForTarget } from '../events/transformer.js';
import { buildOutcome, type OrderOutcome } from '../order/outcome.js';
import { FunctionError } from '../runtime/lambda-error.js';
import { LocalServiceError } from './aws-errors.js';
import type { LocalRuntimeSpec } from './deploy.js';
import type { LocalLambda } from './lambda.js';
import { LoopGuard, type LoopFailure } from './loop-guard.js';
import type { Recorder } from './recorder.js';
import type { LocalStore } from './store.js';

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

interface OrderTracker {
  startedAt?: string;
  done: Promise<OrderOutcome>;
  resolve: (outcome: OrderOutcome) => void;
}

/**
 * The events mode on the local target: a custom event bus with EventBridge's PutEvents validation and
 * envelope, rules matched with the content-filtering implementation, input transformers, and asynchronous,
 * at-least-once delivery to Lambda targets with a retry policy and a dead-letter file. It also serves the
 * EventBridge JSON protocol on a loopback port, so functions publish with the real SDK client.
 */
export class LocalEventBus {
  private server: Server | undefined;
  private lambda: LocalLambda | undefined;
  private readonly rules: Array<{ name: string; arn: string; target: string; matches: (event: unknown) => boolean; transformer?: Parameters<typeof transformEventForTarget>[0] }>;
  private readonly trackers = new Map<string, OrderTracker>();
  private readonly loops = new LoopGuard();
  private inFlight = 0;
  private idleWaiters: Array<() => void> = [];
  private readonly flow: NonNullable<LocalRuntimeSpec['events']>;

  constructor(
    private readonly deployment: LocalRuntimeSpec,
    private readonly names: Naming,
    private readonly store: LocalStore,
    private readonly recorder: Recorder,
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
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    server.unref();
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  /** PutEvents: validates the request and each entry as EventBridge does; accepted events are routed asynchronously. */
  putEvents(request: { Entries?: PutEventsRequestEntry[] }): PutEventsResponse {
    const entries = request?.Entries;
    if (!Array.isArray(entries) || entries.length === 0) throw new LocalServiceError('ValidationException', '1 validation error detected: Value null at \'entries\' failed to satisfy constraint: Member must not be null');
    if (entries.length > MAX_ENTRIES) {
      throw new LocalServiceError('ValidationException', `1 validation error detected: Value '[...]' at 'entries' failed to satisfy constraint: Member must have length less than or equal to ${MAX_ENTRIES}`);
    }
    if (Buffer.byteLength(JSON.stringify(entries)) > MAX_REQUEST_BYTES) throw new LocalServiceError('ValidationException', 'Total size of the entries in the request is over the limit.');
    const results: PutEventsResponse['Entries'] = [];
    let failed = 0;
    for (const entry of entries) {
      const result = this.accept(entry);
      if ('ErrorCode' in result) failed++;
      results.push(result);
    }
    return { FailedEntryCount: failed, Entries: results };
  }

  /** The outcome of an order whose events pass through this process. */
  outcome(orderId: string): Promise<OrderOutcome> | undefined {
    return this.trackers.get(orderId)?.done;
  }

  /** Resolves when no delivery is in flight (fan-out branches included). */
  idle(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  async close(): Promise<void> {
    await this.idle();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private accept(entry: PutEventsRequestEntry): PutEventsResponse['Entries'][number] {
    const busName = entry.EventBusName ?? 'default';
    if (busName !== this.names.busName() && busName !== this.names.busArn()) {
      return { ErrorCode: 'ResourceNotFoundException', ErrorMessage: `Event bus ${busName} does not exist.` };
    }
    if (!entry.Source || !entry.DetailType || entry.Detail === undefined) {
      return { ErrorCode: 'InvalidArgument', ErrorMessage: 'Parameter(s) Source, DetailType, or Detail must be specified.' };
    }
    let detail: unknown;
    try {
      detail = JSON.parse(entry.Detail);
    } catch {
      return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
    }
    // EventBridge: Detail must be a JSON object (not an array or a scalar).
    if (!detail || typeof detail !== 'object' || Array.isArray(detail)) return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
    if (Buffer.byteLength(JSON.stringify(entry)) > MAX_REQUEST_BYTES) return { ErrorCode: 'EntrySizeTooBig', ErrorMessage: 'Entry size too big.' };
    const now = new Date();
    const time = entry.Time !== undefined ? new Date(typeof entry.Time === 'number' ? entry.Time * 1000 : entry.Time) : now;
    const event: EventEnvelope = {
      version: '0',
      id: randomUUID(),
      'detail-type': entry.DetailType,
      source: entry.Source,
      account: this.names.busArn().split(':')[4]!,
      // EventBridge envelope time has second precision.
      time: time.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region: this.names.region,
      resources: entry.Resources ?? [],
      detail: detail as Record<string, unknown>,
    };
    const orderId = typeof event.detail.orderId === 'string' ? event.detail.orderId : '-';
    this.recorder.record(orderId, 'events', 'EventPublished', {
      name: event['detail-type'],
      timestamp: now.getTime(),
      details: { eventId: event.id, source: event.source, detail: event.detail },
    });
    const type = event['detail-type'];
    const terminal = this.flow.outcome.succeeded.includes(type) || this.flow.outcome.failed.includes(type);
    const loop = orderId === '-' ? undefined : this.loops.eventPublished(orderId, type, event.source === this.flow.source && type === this.flow.orderPlaced, terminal);
    if (loop) {
      this.stopLoop(orderId, event, now, loop.failure, loop.first);
      return { EventId: event.id };
    }
    this.track(orderId, event, now);
    this.begin();
    setImmediate(() => {
      try {
        this.route(orderId, event, now);
      } finally {
        this.end();
      }
    });
    return { EventId: event.id };
  }

  private route(orderId: string, event: EventEnvelope, ingestedAt: Date) {
    const matched = this.rules.filter((rule) => rule.matches(event));
    this.recorder.record(orderId, 'events', 'RulesMatched', { name: event['detail-type'], details: { eventId: event.id, rules: matched.map((r) => r.name) } });
    for (const rule of matched) {
      this.begin();
      void this.deliver(orderId, event, rule, ingestedAt).finally(() => this.end());
    }
  }

  private async deliver(orderId: string, event: EventEnvelope, rule: LocalEventBus['rules'][number], ingestedAt: Date): Promise<void> {
    const { maximumRetryAttempts, maximumEventAgeSeconds } = this.flow.delivery;
    const input = transformEventForTarget(rule.transformer, event as unknown as Record<string, unknown>, {
      ruleName: this.names.resource(rule.name),
      ruleArn: rule.arn,
      ingestionTime: ingestedAt.toISOString(),
    });
    for (let attempt = 1; ; attempt++) {
      const started = Date.now();
      try {
        const result = await this.lambda!.invoke(rule.target, input, { orderId });
        this.recorder.record(orderId, 'events', 'DeliverySucceeded', {
          name: event['detail-type'],
          details: { eventId: event.id, rule: rule.name, target: rule.target, attempt, durationMs: Date.now() - started, result },
        });
        return;
      } catch (error) {
        const payload = error instanceof FunctionError ? error.payload : { errorType: 'Error', errorMessage: String(error), trace: [] };
        this.recorder.record(orderId, 'events', 'DeliveryFailed', {
          name: event['detail-type'],
          details: { eventId: event.id, rule: rule.name, target: rule.target, attempt, durationMs: Date.now() - started, error: payload.errorType, cause: payload.errorMessage },
        });
        const ageSeconds = (Date.now() - ingestedAt.getTime()) / 1000;
        // EventBridge RetryPolicy: stop after MaximumRetryAttempts retries or once the event is older than MaximumEventAgeInSeconds.
        if (attempt > maximumRetryAttempts || ageSeconds >= maximumEventAgeSeconds) {
          this.deadLetter(orderId, event, rule, attempt, payload);
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** (attempt - 1))));
      }
    }
  }

  private deadLetter(orderId: string, event: EventEnvelope, rule: LocalEventBus['rules'][number], attempts: number, error: { errorType: string; errorMessage: string }) {
    const file = join(this.store.dir, 'dead-letter.jsonl');
    mkdirSync(dirname(file), { recursive: true });
    // Like an SQS dead-letter queue message: the event plus why it could not be delivered.
    appendFileSync(file, `${JSON.stringify({ timestamp: new Date().toISOString(), rule: rule.name, ruleArn: rule.arn, target: rule.target, attempts, error: error.errorType, cause: error.errorMessage, event })}\n`);
    this.recorder.record(orderId, 'events', 'DeadLettered', { name: event['detail-type'], details: { eventId: event.id, rule: rule.name, target: rule.target, attempts, error: error.errorType, cause: error.errorMessage } });
  }

  /** Follows each order from its first event to a terminal one (the flow's `outcome` events). */
  private track(orderId: string, event: EventEnvelope, at: Date) {
    if (orderId === '-') return;
    let tracker = this.trackers.get(orderId);
    if (!tracker) {
      let resolve!: (o: OrderOutcome) => void;
      const done = new Promise<OrderOutcome>((r) => (resolve = r));
      tracker = { done, resolve };
      this.trackers.set(orderId, tracker);
    }
    if (event['detail-type'] === this.flow.orderPlaced && event.source === this.flow.source) tracker.startedAt = at.toISOString();
    const succeeded = this.flow.outcome.succeeded.includes(event['detail-type']);
    const failed = this.flow.outcome.failed.includes(event['detail-type']);
    if (!succeeded && !failed) return;
    const error = event.detail.error as { Error?: unknown; Cause?: unknown } | undefined;
    const outcome = buildOutcome({
      orderId,
      mode: 'events',
      status: succeeded ? 'SUCCEEDED' : 'FAILED',
      state: event.detail,
      ...(failed ? { failure: { Error: String(error?.Error ?? event['detail-type']), Cause: String(error?.Cause ?? '') } } : {}),
      startedAt: tracker.startedAt ?? at.toISOString(),
      finishedAt: at.toISOString(),
    });
    this.recorder.record(orderId, 'events', 'OutcomeRecorded', { name: event['detail-type'], details: { status: outcome.status } });
    // The order's log is on disk before its outcome: whoever sees the outcome can read the whole history.
    this.recorder.flush();
    this.store.writeOutcome(outcome);
    tracker.resolve(outcome);
  }

  /** An order past a loop bound: its event is dropped (not delivered) and the order fails once, naming the loop. */
  private stopLoop(orderId: string, event: EventEnvelope, at: Date, loop: LoopFailure, first: boolean) {
    this.recorder.record(orderId, 'events', 'EventDropped', { name: event['detail-type'], details: { eventId: event.id, error: loop.Error, cause: loop.Cause } });
    if (!first) return;
    const tracker = this.trackers.get(orderId);
    const outcome = buildOutcome({ orderId, mode: 'events', status: 'FAILED', state: event.detail, failure: loop, startedAt: tracker?.startedAt ?? at.toISOString(), finishedAt: at.toISOString() });
    this.recorder.record(orderId, 'events', 'OutcomeRecorded', { name: event['detail-type'], details: { status: outcome.status } });
    this.recorder.flush();
    this.store.writeOutcome(outcome);
    tracker?.resolve(outcome);
  }

  private begin() {
    this.inFlight++;
  }

  private end() {
    this.inFlight--;
    if (this.inFlight === 0) for (const waiter of this.idleWaiters.splice(0)) waiter();
  }

  private async serve(req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': randomUUID() });
      res.end(JSON.stringify(body));
    };
    const target = req.headers['x-amz-target'];
    if (req.method !== 'POST' || target !== 'AWSEvents.PutEvents') {
      send(400, { __type: 'UnknownOperationException', message: `fulfill's local bus serves PutEvents only (got ${String(target)})` });
      return;
    }
    try {
      send(200, this.putEvents(JSON.parse(Buffer.concat(chunks).toString('utf8'))));
    } catch (error) {
      const e = error as LocalServiceError;
      send(e.$metadata?.httpStatusCode ?? 500, { __type: e.name ?? 'InternalException', message: e.message });
    }
  }
}
