import type { AwsClients, AwsOptions } from '../aws/clients.js';
import { loadBlueprint } from '../blueprint/blueprint.js';
import type { FulfillConfig } from '../config/schema.js';
import { UserError } from '../errors.js';
import type { FaultPlan } from '../local/faults.js';
import type { OrderSender } from '../order/send.js';
import {
  hasDrift,
  type DeployPlan,
  type DeployRequest,
  type DestroyReport,
  type LogQuery,
  type LogReading,
  type RedriveReport,
  type RedriveRequest,
  type ReplayReport,
  type ReplayRequest,
  type ServeReport,
  type StatusReport,
  type Target,
  type TraceSource,
  type WatchReport,
} from './target.js';

/** `logs` on AWS without --since or --order: the last hour (listing every execution ever would be slow and costly). */
const DEFAULT_LOG_WINDOW_MS = 3_600_000;

export interface AwsTargetOptions extends Partial<AwsOptions> {
  /** Tests pass clients backed by a fake; otherwise they are made from the options. */
  clients?: AwsClients;
  /** --api-url: post orders to `<apiUrl>/orders` (a custom domain, a VPC endpoint) instead of the invoke URL. */
  apiUrl?: string;
}

/**
 * The AWS target: AWS is the truth (resources are found by name and tags), `.fulfill/aws/<stage>.json` only a
 * cache. Every module that imports the AWS SDK is imported here, on first use.
 */
export class AwsTarget implements Target {
  readonly name = 'aws' as const;

  constructor(
    readonly projectDir: string,
    readonly config: FulfillConfig,
    readonly stage: string,
    private readonly options: AwsTargetOptions = {},
  ) {}

  get label(): string {
    return `AWS (${this.options.region ?? this.config.region})`;
  }

  async deploy(request: DeployRequest): Promise<DeployPlan> {
    const { awsDeploySteps } = await import('../aws/deploy.js');
    const { writeStageCache } = await import('../aws/stage.js');
    const blueprint = loadBlueprint(this.projectDir, {
      ...(request.mode ? { mode: request.mode } : {}),
      stage: this.stage,
      ...(this.options.region ? { region: this.options.region } : {}),
    });
    const { steps, result } = awsDeploySteps(blueprint, {
      allowCycles: request.allowCycles,
      allowFlowErrors: request.allowFlowErrors,
      dryRun: request.dryRun,
      ...this.connection(),
    });
    if (request.dryRun) return { steps, result };
    const cache = {
      title: `Cache the stage in .fulfill/aws/${this.stage}.json`,
      run: async () => {
        const d = result();
        writeStageCache(this.projectDir, {
          app: d.app,
          stage: d.stage,
          mode: d.mode,
          region: d.region,
          account: d.account ?? '',
          endpoint: d.endpoint,
          deployedAt: d.deployedAt,
        });
      },
    };
    return { steps: [...steps, cache], result };
  }

  async destroy(options: { keepLogs: boolean }): Promise<DestroyReport> {
    const { destroyAws } = await import('../aws/destroy.js');
    const connected = await this.connect({ mode: this.config.mode });
    const result = await destroyAws(connected.ctx, connected.blueprint, { keepLogs: options.keepLogs });
    const app = this.config.app;
    return {
      target: 'aws',
      stage: this.stage,
      deleted: result.deleted.map((d) => d.resource),
      skipped: result.skipped,
      summary: result.deleted.length
        ? `destroyed ${app}/${this.stage} on aws: ${result.deleted.map((d) => `${d.kind} ${d.resource}`).join(', ')}`
        : `nothing to destroy: ${app}/${this.stage} owns nothing on aws`,
    };
  }

  /** Finds the stage (AWS is the truth), then runs the deployer as a dry run: every resource with its drift. */
  async status(): Promise<StatusReport> {
    const { detectMode } = await import('../aws/stage.js');
    const { awsDeploySteps } = await import('../aws/deploy.js');
    const probe = await this.connect({ mode: this.config.mode });
    const mode = await detectMode(probe.ctx);
    if (!mode) {
      throw new UserError(`stage "${this.stage}" of ${this.config.app} is not deployed on aws in ${probe.ctx.region}`, [
        'Run `fulfill deploy --target aws` first, or check --region/--profile.',
      ]);
    }
    const blueprint = loadBlueprint(this.projectDir, {
      mode,
      stage: this.stage,
      ...(this.options.region ? { region: this.options.region } : {}),
    });
    const { steps, result } = awsDeploySteps(blueprint, {
      dryRun: true,
      allowCycles: true,
      allowFlowErrors: true,
      clients: probe.ctx.clients,
    });
    for (const step of steps) await step.run();
    const resources = result().changes;
    return {
      target: 'aws',
      stage: this.stage,
      deployed: true,
      mode,
      endpoint: result().endpoint,
      resources,
      drift: hasDrift(resources),
      where: `aws (${probe.ctx.account}, ${probe.ctx.region})`,
    };
  }

  async sender(options: { faults?: FaultPlan } = {}): Promise<OrderSender> {
    if (options.faults) throw faultsRefused();
    const { awsSender } = await import('../aws/orders.js');
    const connected = await this.connect();
    return awsSender({ ...connected, endpoint: await connected.endpoint() });
  }

  /** Step Functions keeps one execution per name (the order id); the event log has no submissions. */
  async executions(): Promise<undefined> {
    return undefined;
  }

  async logs(query: LogQuery): Promise<LogReading> {
    const { readAwsLogs, followAwsLogs, entryKey } = await import('../aws/history.js');
    const stage = await this.connect();
    const { limit, ...rest } = query;
    const windowed =
      rest.since === undefined && !rest.orderId ? { ...rest, since: Date.now() - DEFAULT_LOG_WINDOW_MS } : rest;
    const all = await readAwsLogs(stage, windowed);
    const seen = new Set(all.map(entryKey));
    return {
      entries: limit ? all.slice(-limit) : all,
      follow: async (onEntry, signal) => {
        await followAwsLogs(stage, rest, seen, onEntry, signal);
        return undefined;
      },
    };
  }

  async traceSource(): Promise<TraceSource> {
    const { readAwsLogs } = await import('../aws/history.js');
    const { currentOutcome, finishedOrdersSince } = await import('../aws/orders.js');
    const connected = await this.connect();
    const stage = { ...connected, endpoint: '' };
    return {
      memoryMb: connected.blueprint.config.functions.memoryMb,
      ...(connected.blueprint.events ? { flow: connected.blueprint.events } : {}),
      entries: (orderId) => readAwsLogs(stage, { orderId }),
      outcome: (orderId) => currentOutcome(stage, orderId),
      finishedSince: (since) => finishedOrdersSince(stage, since),
    };
  }

  async watch(): Promise<WatchReport> {
    throw new UserError('--watch runs on the local target only; a stage on AWS is redeployed by `fulfill deploy`', [
      'Watch a local stage with `fulfill deploy --watch --target local`, or drop --watch.',
    ]);
  }

  async serve(): Promise<ServeReport> {
    throw new UserError('serve runs the local target only; a stage on AWS is served by API Gateway', [
      'Deploy locally with `fulfill deploy --target local`, or send orders with `fulfill send-order --target aws`.',
    ]);
  }

  async redrive(request: RedriveRequest): Promise<RedriveReport> {
    const { redriveAws } = await import('../aws/redrive.js');
    return redriveAws(await this.connect(), request);
  }

  async replay(request: ReplayRequest): Promise<ReplayReport> {
    const { replayAws } = await import('../aws/redrive.js');
    return replayAws(await this.connect(), request);
  }

  private connection(): Partial<AwsOptions> & { clients?: AwsClients } {
    const { clients, region, profile, endpointUrl } = this.options;
    return {
      ...(clients ? { clients } : {}),
      ...(region ? { region } : {}),
      ...(profile ? { profile } : {}),
      ...(endpointUrl ? { endpointUrl } : {}),
    };
  }

  private async connect(extra: { mode?: FulfillConfig['mode'] } = {}) {
    const { connectStage } = await import('../aws/stage.js');
    const apiUrl = this.options.apiUrl ? { apiUrl: this.options.apiUrl } : {};
    return connectStage(this.projectDir, { stage: this.stage, ...extra, ...this.connection(), ...apiUrl });
  }
}

/** fulfill runs no code of its own around the functions and events on AWS, so it cannot inject faults there. */
function faultsRefused(): UserError {
  return new UserError(
    '--inject works on the local target only: on AWS the real services run the functions and events',
  );
}
