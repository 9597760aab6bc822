import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { FulfillConfig } from '../config/schema.js';
import { UserError } from '../errors.js';
import type { LocalRuntimeSpec } from '../local/deploy.js';
import type { FaultPlan } from '../local/faults.js';
import type { ExecutionSummary } from '../logs/executions.js';
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
  type ServeRequest,
  type StatusReport,
  type Target,
  type TraceSource,
  type WatchReport,
  type WatchRequest,
} from './target.js';

/**
 * The local target: the stage lives in `.fulfill/local/<stage>/` and runs in this process. The engines are
 * imported on first use, so `logs` does not load Step Functions and `--help` loads nothing; the blueprint (its
 * zod schemas and the state machine validator) only where a command compares with the project (deploy, status).
 */
export class LocalTarget implements Target {
  readonly name = 'local' as const;
  readonly label = 'the local target';

  constructor(
    readonly projectDir: string,
    readonly config: FulfillConfig,
    readonly stage: string,
  ) {}

  async deploy(request: DeployRequest): Promise<DeployPlan> {
    const { localDeploySteps } = await import('../local/deploy.js');
    const { loadBlueprint } = await import('../blueprint/blueprint.js');
    const blueprint = loadBlueprint(this.projectDir, {
      ...(request.mode ? { mode: request.mode } : {}),
      stage: this.stage,
    });
    return localDeploySteps(blueprint, {
      allowCycles: request.allowCycles,
      allowFlowErrors: request.allowFlowErrors,
      dryRun: request.dryRun,
    });
  }

  async destroy(): Promise<DestroyReport> {
    const { LocalStore } = await import('../local/store.js');
    const store = new LocalStore(this.projectDir, this.stage);
    const existed = store.destroy();
    const app = this.config.app;
    return {
      target: 'local',
      stage: this.stage,
      deleted: existed ? [store.dir] : [],
      summary: existed
        ? `destroyed ${app}/${this.stage} on local (${store.dir})`
        : `nothing to destroy: ${app}/${this.stage} has no local deployment`,
    };
  }

  async status(): Promise<StatusReport> {
    const { LocalStore } = await import('../local/store.js');
    const store = new LocalStore(this.projectDir, this.stage);
    let deployment;
    try {
      deployment = store.readDeployment();
    } finally {
      store.close();
    }
    if (!deployment) throw notDeployed(this.stage);
    const { localDeploySteps } = await import('../local/deploy.js');
    const { loadBlueprint } = await import('../blueprint/blueprint.js');
    const deployed = deployment as Partial<Pick<LocalRuntimeSpec, 'workflow'>>;
    const blueprint = loadBlueprint(this.projectDir, {
      mode: deployment.mode,
      stage: this.stage,
      // The deployed definition was validated by deploy: an unchanged one is not validated again.
      ...(deployed.workflow ? { validDefinitions: [deployed.workflow.definition] } : {}),
    });
    const { steps, result } = localDeploySteps(blueprint, { dryRun: true, allowCycles: true, allowFlowErrors: true });
    for (const step of steps) await step.run();
    const resources = result().changes;
    const { changedSources } = await import('../blueprint/sources.js');
    const sourcesChanged = changedSources(this.projectDir, deployment);
    return {
      target: 'local',
      stage: this.stage,
      deployed: true,
      mode: deployment.mode,
      deployedAt: deployment.deployedAt,
      endpoint: result().endpoint,
      resources,
      drift: hasDrift(resources) || sourcesChanged.length > 0,
      ...(sourcesChanged.length > 0 ? { sourcesChanged } : {}),
      where: 'local',
    };
  }

  async sender(options: { faults?: FaultPlan } = {}): Promise<OrderSender> {
    const { localSender } = await import('../order/send.js');
    return localSender(this.projectDir, this.stage, options.faults ? { faults: options.faults } : {});
  }

  async executions(orderId: string): Promise<ExecutionSummary[]> {
    const { openLocalLog } = await import('../logs/read.js');
    const store = openLocalLog(this.projectDir, this.stage);
    try {
      return store
        .listExecutions(orderId)
        .map((x) => ({ execution: x.execution, status: x.status, startedAt: x.startDate }));
    } finally {
      store.close();
    }
  }

  async logs(query: LogQuery): Promise<LogReading> {
    const { followLog, openLocalLog, queryLog } = await import('../logs/read.js');
    const store = openLocalLog(this.projectDir, this.stage);
    const { entries, offset } = queryLog(store, query);
    const { limit: _limit, functions: _functions, ...filter } = query;
    return {
      entries,
      follow: (onEntry, signal, options = {}) => followLog(store, offset, filter, onEntry, signal, options),
    };
  }

  async traceSource(): Promise<TraceSource> {
    const { openLocalLog } = await import('../logs/read.js');
    const store = openLocalLog(this.projectDir, this.stage);
    const deployed = store.readDeployment() as { functionsConfig?: { memoryMb: number } } | undefined;
    return {
      memoryMb: deployed?.functionsConfig?.memoryMb ?? this.config.functions.memoryMb,
      // The store's reads are synchronous; a damaged row is its StateError (exit 5), as a rejected promise here.
      entries: async (orderId, execution) => store.readLog({ orderId, ...(execution ? { execution } : {}) }),
      outcome: async (orderId, execution) => store.readOutcome(orderId, execution),
      // Each order's latest submission, finished or not: failed and unfinished orders count too.
      finishedSince: async (since) => store.listOrders(since),
    };
  }

  async redrive(request: RedriveRequest): Promise<RedriveReport> {
    const { redriveLocal } = await import('../local/rerun.js');
    return redriveLocal(this.projectDir, this.stage, request);
  }

  async replay(request: ReplayRequest): Promise<ReplayReport> {
    const { replayLocal } = await import('../local/rerun.js');
    return replayLocal(this.projectDir, this.stage, request);
  }

  async watch(request: WatchRequest): Promise<WatchReport> {
    const { watchStage } = await import('../local/watch.js');
    return watchStage(this.projectDir, this.stage, request);
  }

  async serve(request: ServeRequest): Promise<ServeReport> {
    const { LiveStage } = await import('../local/live-stage.js');
    const { FulfillServer } = await import('../local/server.js');
    // The stage as deployed now, and after every redeploy from another process (and 503 after destroy).
    const live = await LiveStage.start(this.projectDir, this.stage, request.faults ? { faults: request.faults } : {}, {
      log: request.log,
      // A write that fails in the background (disk full, ...) is said at once, in one line; requests then get 500.
      onFault: (error) => process.stderr.write(`Error: ${error.message}\n  → ${error.suggestions.join(' ')}\n`),
    });
    const backend = (await live.backend())!;
    const storefront = join(this.projectDir, 'storefront');
    const hasStorefront = existsSync(storefront);
    const server = new FulfillServer(live, {
      host: request.host,
      port: request.port,
      ...(hasStorefront ? { staticDir: storefront } : {}),
      log: request.log,
    });
    let url: string;
    try {
      url = await server.listen();
    } catch (error) {
      await live.close();
      throw listenFailure(error, request);
    }
    const port = Number(new URL(url).port);
    const { app, stage } = backend.deployment;
    request.onListening({
      url,
      port,
      headline: `fulfill serve: ${app}/${stage} (${backend.mode}) on ${url} — POST ${url}/orders${hasStorefront ? `, storefront at ${url}/` : ''}`,
    });
    if (!request.signal.aborted)
      await new Promise<void>((resolve) => request.signal.addEventListener('abort', () => resolve(), { once: true }));
    request.log(`fulfill serve: stopping, ${server.pending.length} order(s) in flight`);
    const { finished, interrupted } = await server.close(request.graceMs);
    await live.close({ force: interrupted.length > 0 });
    request.log(`fulfill serve: stopped (${finished} finished, ${interrupted.length} recorded as interrupted)`);
    return { url, finished, interrupted };
  }
}

function notDeployed(stage: string): UserError {
  return new UserError(`stage "${stage}" is not deployed on the local target`, [
    'Run `fulfill deploy` first (add --stage if you use another stage).',
  ]);
}

/** A port in use or an address this machine does not have is the user's to fix, not a crash. */
function listenFailure(error: unknown, request: Pick<ServeRequest, 'host' | 'port'>): Error {
  const code = (error as NodeJS.ErrnoException)?.code;
  if (code === 'EADDRINUSE')
    return new UserError(`--port ${request.port} is already in use on ${request.host}`, [
      'Pick another port, or --port 0 for a free one.',
    ]);
  if (code === 'EACCES')
    return new UserError(`--port ${request.port}: not allowed to listen there (ports below 1024 need privileges)`, [
      'Use a port above 1023, or --port 0.',
    ]);
  if (
    code === 'EADDRNOTAVAIL' ||
    code === 'ENOTFOUND' ||
    code === 'EAI_AGAIN' ||
    code === 'EINVAL' ||
    code === 'EAI_FAIL'
  ) {
    return new UserError(`--host ${JSON.stringify(request.host)} is not an address of this machine (${code})`, [
      'Use 127.0.0.1 (the default), ::1, or 0.0.0.0 for every interface.',
    ]);
  }
  return error instanceof Error ? error : new Error(String(error));
}
