import type { EventFlow } from '../blueprint/event-flow.js';
import type { FulfillConfig, Mode, TargetName } from '../config/schema.js';
import type { DeployChange, DeployResult, DeployStep } from '../deploy/result.js';
import type { FaultPlan } from '../local/faults.js';
import type { ExecutionSummary } from '../logs/executions.js';
import type { LogEntry, LogFilter } from '../logs/entry.js';
import type { OrderOutcome } from '../order/outcome.js';
import type { OrderSender } from '../order/send.js';
import { UserError } from '../errors.js';

export type { TargetName } from '../config/schema.js';

/** The flags every target-aware command shares (`--dir --stage --target --region --profile --endpoint-url`). */
export interface TargetFlags {
  dir: string;
  stage?: string;
  target?: string;
  region?: string;
  profile?: string;
  'endpoint-url'?: string;
  'api-url'?: string;
}

export interface DeployRequest {
  mode?: Mode;
  allowCycles: boolean;
  /** Deploy an event flow even when the flow analysis finds errors. */
  allowFlowErrors: boolean;
  dryRun: boolean;
}

/** A deploy as steps (shown as progress) and its result, read after the steps ran. */
export interface DeployPlan {
  steps: DeployStep[];
  result: () => DeployResult;
}

export interface DestroyReport {
  target: TargetName;
  stage: string;
  deleted: string[];
  skipped?: Array<{ resource: string; reason: string }>;
  /** One line for people. */
  summary: string;
}

export interface StatusReport {
  target: TargetName;
  stage: string;
  deployed: true;
  mode: Mode;
  deployedAt?: string;
  endpoint: string;
  /** Each resource with what `deploy` would do to it now: `unchanged` means no drift. */
  resources: DeployChange[];
  drift: boolean;
  /** Local target: source files changed since the last deploy (the rule `send-order` warns by); also drift. */
  sourcesChanged?: string[];
  /** Where the stage lives, for the headline: "local" or "aws (123456789012, eu-central-1)". */
  where: string;
}

export interface LogQuery extends LogFilter {
  limit?: number;
  /** AWS target: also the functions' own log lines. */
  functions?: boolean;
}

/** What `logs` read, and how to keep reading after it without printing an entry twice. */
export interface LogReading {
  entries: LogEntry[];
  /**
   * Prints what comes after `entries` until `signal` aborts; with `untilOutcomeOf`, also stops once that order's
   * outcome is read, and returns it.
   */
  follow(
    onEntry: (entry: LogEntry) => void,
    signal: AbortSignal,
    options?: { untilOutcomeOf?: string },
  ): Promise<OrderOutcome | undefined>;
}

/** A finished order with its latency (for `trace --slowest` and `--sla`). */
export type OrderTiming = Pick<OrderOutcome, 'orderId' | 'status' | 'mode' | 'startedAt' | 'durationMs'>;

/** Where `trace` reads an order's timeline from. */
export interface TraceSource {
  /** Events mode on AWS: the flow, to infer causes the event log does not record. */
  flow?: EventFlow;
  /** The functions' memory, for GB-seconds. */
  memoryMb: number;
  /** One submission of the order (`execution`, see `Target.executions`), or the latest. */
  entries(orderId: string, execution?: number): Promise<LogEntry[]>;
  outcome(orderId: string, execution?: number): Promise<OrderOutcome | undefined>;
  finishedSince(since: number): Promise<OrderTiming[]>;
}

export interface ServeRequest {
  host: string;
  port: number;
  graceMs: number;
  log: (line: string) => void;
  /** Called once the server listens (its URL and what it serves), before it waits for a signal. */
  onListening: (info: { url: string; port: number; headline: string }) => void;
  signal: AbortSignal;
  /** `--inject`: faults applied to every order the server accepts. */
  faults?: FaultPlan;
}

export interface WatchRequest extends Omit<DeployRequest, 'dryRun'> {
  signal: AbortSignal;
  /** Runs the first deploy's steps (the command shows them as progress); its result is the watch's start. */
  firstDeploy: (plan: DeployPlan) => Promise<void>;
  /** Called once the watcher is ready, with the paths it watches (relative to the project). */
  onWatching: (info: { paths: string[] }) => void;
  /** Called after each redeploy, failed or not. */
  onRedeploy: (report: RedeployReport) => void;
}

/** One redeploy of `deploy --watch`: what changed, what it did, how long it took. */
export interface RedeployReport {
  /** The files that changed (relative to the project), as the watcher saw them. */
  changed: string[];
  /** The handlers bundled again (the others' bundles were reused: none of their inputs changed). */
  rebundled: string[];
  /** The resources the redeploy created, updated or deleted (empty: the deployment is unchanged). */
  changes: DeployChange[];
  /** The new deployment's time (unchanged when nothing changed; absent on error). */
  deployedAt?: string;
  mode: Mode;
  durationMs: number;
  /** Validation or bundling failed: the stage keeps the last good deployment. */
  error?: unknown;
}

export interface WatchReport {
  deployed: DeployResult;
  redeploys: number;
  failed: number;
}

export interface ServeReport {
  url: string;
  finished: number;
  interrupted: string[];
}

/** `fulfill redrive`: which dead letters to re-deliver. */
export interface RedriveRequest {
  orderId?: string;
  rule?: string;
  dryRun: boolean;
}

/** One dead letter (local) or dead-letter queue message (AWS), and what the redrive did with it. */
export interface RedriveLetterReport {
  orderId: string;
  rule: string;
  target: string;
  eventId: string;
  detailType: string;
  /** Local: the execution the letter was dead-lettered in. */
  fromExecution?: number | null;
  /** AWS: the queue message. */
  messageId?: string;
  error?: string;
  /** `pending` in a dry run; `redelivered`; `dead-lettered-again` (a new letter replaced it); `skipped` (see reason). */
  result: 'pending' | 'redelivered' | 'dead-lettered-again' | 'skipped';
  reason?: string;
}

/** A new execution of an order that a redrive or replay started (local target), with its one outcome. */
export interface RerunExecution {
  orderId: string;
  execution: number;
  status: OrderOutcome['status'];
  outcome: OrderOutcome;
}

export interface RedriveReport {
  target: TargetName;
  stage: string;
  dryRun: boolean;
  letters: RedriveLetterReport[];
  executions: RerunExecution[];
  summary: string;
}

/** `fulfill replay`: which recorded events to publish again (`orderId` or `since`), and to which rule. */
export interface ReplayRequest {
  orderId?: string;
  /** ms since the epoch */
  since?: number;
  rule?: string;
  dryRun: boolean;
}

export interface ReplayedEvent {
  orderId: string;
  eventId: string;
  detailType: string;
  source: string;
  publishedAt: string;
  /** The rules it is (or, in a dry run, would be) delivered to. */
  rules: string[];
}

export interface ReplayReport {
  target: TargetName;
  stage: string;
  dryRun: boolean;
  /** The `replay-name` every replayed event carries. */
  replayName: string;
  events: ReplayedEvent[];
  /** Recorded events that match no rule (or not --rule's): not replayed, as a replay sends them nowhere. */
  skipped: number;
  executions: RerunExecution[];
  summary: string;
}

/**
 * One stage on one target. Commands parse their flags, open a target (`openTarget`), make one call and render
 * the answer; everything that differs between the local machine and AWS lives behind this interface.
 * A new command adds a method here and to both implementations.
 */
export interface Target {
  readonly name: TargetName;
  readonly projectDir: string;
  readonly config: FulfillConfig;
  readonly stage: string;
  /** "the local target" or "AWS (eu-central-1)": what prompts and messages call it. */
  readonly label: string;
  deploy(request: DeployRequest): Promise<DeployPlan>;
  destroy(options: { keepLogs: boolean }): Promise<DestroyReport>;
  /** The stage's resources with drift; a stage that is not deployed is a user error (exit 2). */
  status(): Promise<StatusReport>;
  /** Opens a sender; close it when done (the local target runs the stage in this process meanwhile). */
  sender(options?: { faults?: FaultPlan }): Promise<OrderSender>;
  /** The order's submissions, oldest first; undefined where a target keeps one execution per order id. */
  executions(orderId: string): Promise<ExecutionSummary[] | undefined>;
  /** Reads log entries; the target decides the default window when neither `since` nor `orderId` is given. */
  logs(query: LogQuery): Promise<LogReading>;
  traceSource(): Promise<TraceSource>;
  /** `deploy --watch`: deploys, then redeploys what changed until `signal` aborts. Only the local target watches. */
  watch(request: WatchRequest): Promise<WatchReport>;
  /** `fulfill serve`: the stage as an HTTP API until `signal` aborts. Only the local target serves. */
  serve(request: ServeRequest): Promise<ServeReport>;
  /** `fulfill redrive` (events mode): re-delivers dead letters; a stage in orchestration mode is a user error. */
  redrive(request: RedriveRequest): Promise<RedriveReport>;
  /** `fulfill replay` (events mode): publishes recorded events again, in their original order. */
  replay(request: ReplayRequest): Promise<ReplayReport>;
}

/** Redrive and replay work on an event bus: in orchestration mode there is none (exit 2, one line). */
export function eventsModeOnly(command: 'redrive' | 'replay', stage: string): UserError {
  return new UserError(
    `${command} is an events-mode feature and stage "${stage}" runs orchestration: re-send the order instead (fulfill send-order --file <order.json> --order-id <new id>; an order id names one execution there)`,
  );
}

/** Drift is any resource that `deploy` would change now. */
export function hasDrift(resources: readonly DeployChange[]): boolean {
  return resources.some((r) => r.action !== 'unchanged');
}
