import type { AwsClients } from '../../../src/lib/aws/clients.js';
import { apigwHandlers } from './apigw.js';
import { eventsHandlers } from './events.js';
import { iamHandlers } from './iam.js';
import { lambdaHandlers } from './lambda.js';
import { logsHandlers } from './logs.js';
import { sfnHandlers } from './sfn.js';
import { sqsHandlers } from './sqs.js';
import { stsHandlers } from './sts.js';
import { taggingHandlers } from './tagging.js';

/**
 * A small, stateful, in-memory model of the AWS APIs the deployer calls (spec: README.md next to this file),
 * one module per service. Reads reflect earlier writes; the constraints AWS enforces and the deployer relies
 * on are enforced here too, with AWS's error names. Plain TypeScript, no test framework: the unit tests install
 * it on aws-sdk-client-mock mocks (../fake-aws.ts), and `bench/aws-calls.ts` drives it through `fakeClients()`.
 */

export const ACCOUNT = '123456789012';
export const REGION = 'eu-central-1';

export type Service = keyof AwsClients;
// The model speaks the services' wire shapes, which the SDK types describe per command: loosely typed here.
export type Any = Record<string, any>;
export type Handler = (input: Any) => unknown;

export interface FakeCall {
  service: Service;
  command: string;
  input: Any;
  /** With `rounds`: the round trip in which the call was answered (1-based). */
  round: number;
  error?: string;
}

export interface FakeAwsOptions {
  /** GetFunction reads that still see `Pending` after CreateFunction, or `InProgress` after an update (Lambda's asynchronous state). */
  settleReads?: number;
  /**
   * Answer calls in round trips: every call issued while the previous round was in flight is answered
   * together. The number of rounds of a run is its critical path (the longest chain of dependent calls).
   */
  rounds?: boolean;
}

/**
 * An error shaped like the SDK's service exceptions: name, message, $fault, $metadata. Without a stack trace, as
 * capturing one for every "not found" the deployer reads cost a thirtieth of the recovery tables' CPU; a test that
 * fails on such an error still sees which call it was (`fake.calls`, and the `$call` the deployer's clients add).
 */
export function awsError(name: string, message = name, httpStatusCode = 400): Error {
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  const error = new Error(message);
  Error.stackTraceLimit = stackTraceLimit;
  error.name = name;
  Object.assign(error, {
    $fault: httpStatusCode >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode, attempts: 1 },
  });
  return error;
}

/** Reads are Get*, List*, Describe*; everything else changes something. */
export function isMutating(command: string): boolean {
  return !/^(Get|List|Describe)/.test(command);
}

/** An SQS message: hidden until `visibleAt` (ms) after a receive; the latest receive's handle deletes it. */
export interface FakeMessage {
  MessageId: string;
  Body: string;
  MessageAttributes?: Record<string, { DataType: string; StringValue?: string }>;
  ReceiptHandle?: string;
  visibleAt: number;
  receives: number;
}

export interface FakeState {
  roles: Record<
    string,
    { trust: string; tags: Array<{ Key: string; Value: string }>; policies: Record<string, string> }
  >;
  functions: Record<
    string,
    { config: Any; tags: Record<string, string>; statements: Any[]; invokeConfig?: Any; settling?: number }
  >;
  machines: Record<string, Any>;
  logGroups: Record<string, { retentionInDays?: number; tags?: Record<string, string> }>;
  logPolicies: Record<string, string>;
  queues: Record<
    string,
    { attributes: Record<string, string>; tags: Record<string, string>; messages?: FakeMessage[] }
  >;
  buses: Record<string, { tags: Array<{ Key: string; Value: string }> }>;
  /** EventBridge archives by name (archives take no tags). */
  archives: Record<string, { source: string; retentionDays: number; description?: string; pattern?: string }>;
  rules: Record<
    string,
    { pattern: string; state: string; description?: string; tags?: Any[]; targets: Record<string, Any> }
  >;
  apis: Record<
    string,
    {
      name: string;
      tags: Record<string, string>;
      body: unknown;
      stages: Record<string, Any>;
      deployments: Record<string, { description?: string }>;
    }
  >;
}

/** An account with nothing in it: what the fake starts from, and what a converged destroy leaves. */
export function emptyFakeState(): FakeState {
  return {
    roles: {},
    functions: {},
    machines: {},
    logGroups: {},
    logPolicies: {},
    queues: {},
    buses: {},
    archives: {},
    rules: {},
    apis: {},
  };
}

export class FakeAwsModel {
  readonly calls: FakeCall[] = [];
  state: FakeState = emptyFakeState();
  readonly handlers: Record<Service, Record<string, Handler>>;
  readonly settleReads: number;
  private readonly rounds: boolean;
  private mutating = 0;
  private failures = new Map<number, Error>();
  private commandFailures: Array<{ command: string; error: Error; times: number }> = [];
  propagation = { lambda: 0, states: 0 };
  readonly recentlyDeletedQueues = new Set<string>();
  /** EventBridge replays started (history: not part of the state a destroy removes). */
  readonly replays: Record<string, Any> = {};
  /** Lambda Invoke calls that succeeded: the function, the invocation type and the payload (parsed JSON). */
  readonly invocations: Array<{ functionName: string; invocationType: string; payload: unknown }> = [];
  private nextId = 1;
  private round = 0;
  private waiting: Array<() => void> = [];

  constructor(options: FakeAwsOptions = {}) {
    this.settleReads = options.settleReads ?? 1;
    this.rounds = options.rounds ?? false;
    this.handlers = {
      sts: stsHandlers(),
      iam: iamHandlers(this),
      lambda: lambdaHandlers(this),
      sfn: sfnHandlers(this),
      logs: logsHandlers(this),
      sqs: sqsHandlers(this),
      events: eventsHandlers(this),
      apigw: apigwHandlers(this),
      tagging: taggingHandlers(this),
    };
  }

  /** The k-th mutating call from now (1-based) fails once with `error` (default: a 503 fault). */
  failAt(k: number, error: Error = awsError('ServiceUnavailableException', 'injected fault', 503)): void {
    this.failures.set(this.mutating + k, error);
  }

  /** The next `times` calls of `command` fail with `error` (e.g. ThrottlingException). */
  failNext(command: string, error: Error, times = 1): void {
    this.commandFailures.push({ command, error, times });
  }

  /** IAM eventual consistency: the next CreateFunction / CreateStateMachine calls fail as if the new role were not assumable yet. */
  rolePropagation(times: { lambda?: number; states?: number }): void {
    this.propagation = { lambda: times.lambda ?? 0, states: times.states ?? 0 };
  }

  mutatingCalls(): FakeCall[] {
    return this.calls.filter((c) => isMutating(c.command));
  }

  /** Replaces the state with a copy of `state` (the handlers keep their reference to the state object). */
  restore(state: FakeState): void {
    const copied = copy(state);
    for (const key of Object.keys(this.state) as Array<keyof FakeState>) (this.state as Any)[key] = copied[key];
  }

  /** Forgets the recorded calls (the state stays). */
  reset(): void {
    this.calls.length = 0;
    this.round = 0;
  }

  /** Round trips since the last reset (with `rounds`). */
  roundTrips(): number {
    return this.round;
  }

  /** The state keyed by names, without generated ids or transient states: what must be equal after recovery. */
  snapshot(): unknown {
    const functions = Object.fromEntries(
      Object.entries(this.state.functions).map(([name, f]) => {
        const { State: _s, LastUpdateStatus: _l, ...config } = f.config;
        return [
          name,
          {
            config,
            tags: f.tags,
            statements: [...f.statements].sort((a, b) => String(a.Sid).localeCompare(String(b.Sid))),
            invokeConfig: f.invokeConfig,
          },
        ];
      }),
    );
    const apis = Object.values(this.state.apis).map((a) => ({
      name: a.name,
      tags: a.tags,
      body: a.body,
      stages: Object.fromEntries(
        Object.entries(a.stages).map(([name, s]) => [
          name,
          {
            methodSettings: s.methodSettings,
            tracingEnabled: s.tracingEnabled,
            tags: s.tags,
            deployment: a.deployments[s.deploymentId]?.description,
          },
        ]),
      ),
    }));
    return JSON.parse(JSON.stringify({ ...this.state, functions, apis }));
  }

  /** Answers one call: records it, applies injected faults, then runs the service model. */
  async handle(service: Service, command: string, input: Any = {}): Promise<unknown> {
    if (this.rounds) await this.nextRound();
    const call: FakeCall = { service, command, input, round: this.round };
    this.calls.push(call);
    try {
      if (isMutating(command)) {
        this.mutating++;
        const failure = this.failures.get(this.mutating);
        if (failure) {
          this.failures.delete(this.mutating);
          throw failure;
        }
      }
      const injected = this.commandFailures.find((f) => f.command === command && f.times > 0);
      if (injected) {
        injected.times--;
        throw injected.error;
      }
      const handler = this.handlers[service][command];
      if (!handler)
        throw new Error(`fake AWS: ${service} ${command} is not modelled (see test/helpers/fake-aws/README.md)`);
      return copy(handler(copy(input)) ?? {});
    } catch (error) {
      call.error = (error as Error).name;
      throw error;
    }
  }

  /** Everything issued before the event loop turns is one round trip. */
  private nextRound(): Promise<void> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      if (this.waiting.length > 1) return;
      setImmediate(() => {
        this.round++;
        const batch = this.waiting;
        this.waiting = [];
        for (const done of batch) done();
      });
    });
  }

  /** A generated id (API and deployment ids). */
  id(prefix: string): string {
    return `${prefix}${String(this.nextId++).padStart(4, '0')}`;
  }
}

const objectTag = Object.prototype.toString;

/**
 * A deep copy of a call's input or answer, so the caller and the model never share objects: what structuredClone
 * makes of the wire shapes (plain objects, arrays, strings, numbers, bytes), written out because structuredClone
 * serialises every value and was 4-7 times slower on these small objects (a tenth of a recovery table's CPU).
 * Anything else (bytes, dates, ...) still goes through structuredClone, which also refuses what it cannot copy.
 */
function copy<T>(value: T): T {
  if (typeof value !== 'object' || value === null) {
    return typeof value === 'function' || typeof value === 'symbol' ? structuredClone(value) : value;
  }
  if (Array.isArray(value)) return value.map(copy) as T;
  if (objectTag.call(value) !== '[object Object]') return structuredClone(value);
  const out: Any = {};
  for (const key of Object.keys(value)) out[key] = copy((value as Any)[key]);
  return out as T;
}

/**
 * Clients that answer from the model without the SDK's middleware (no HTTP, no retries): what the bench
 * uses. Each `send` dispatches on the command's class name, so the SDK waiters work unchanged.
 */
export function fakeClients(model: FakeAwsModel): AwsClients {
  const client = (service: Service) => ({
    config: { region: async () => REGION },
    send: (command: { constructor: { name: string }; input: Any }) =>
      model.handle(service, command.constructor.name.replace(/Command$/, ''), command.input),
    destroy: () => {},
  });
  return Object.fromEntries(
    (['iam', 'lambda', 'sfn', 'events', 'sqs', 'logs', 'apigw', 'sts', 'tagging'] as const).map((s) => [s, client(s)]),
  ) as unknown as AwsClients;
}

export function fail(name: string, message: string, status = 400): never {
  throw awsError(name, message, status);
}

/** List APIs page with an opaque token: here the index of the next item. */
export function page<T>(items: T[], token: string | undefined, size: number, itemsKey: string, tokenKey: string): Any {
  const start = token ? Number(token) : 0;
  const end = start + size;
  return { [itemsKey]: items.slice(start, end), ...(end < items.length ? { [tokenKey]: String(end) } : {}) };
}
