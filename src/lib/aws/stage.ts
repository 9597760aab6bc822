import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DescribeEventBusCommand } from '@aws-sdk/client-eventbridge';
import { loadBlueprint, type Blueprint } from '../blueprint/blueprint.js';
import type { Mode } from '../config/schema.js';
import { UserError } from '../errors.js';
import { STATE_DIR } from '../project/state.js';
import { findRestApi, invokeUrl, ordersUrl } from './apigw.js';
import type { AwsClients, AwsOptions } from './clients.js';
import { connectAws, ignoreNotFound, type AwsContext } from './context.js';
import { findStateMachine } from './sfn.js';

/** What a successful AWS deploy leaves in `.fulfill/aws/<stage>.json`: a cache; AWS stays the truth. */
export interface AwsStageCache {
  app: string;
  stage: string;
  mode: Mode;
  region: string;
  account: string;
  endpoint: string;
  deployedAt: string;
}

export function cacheFile(projectDir: string, stage: string): string {
  return join(projectDir, STATE_DIR, 'aws', `${stage}.json`);
}

export function writeStageCache(projectDir: string, cache: AwsStageCache): void {
  const file = cacheFile(projectDir, cache.stage);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(cache, null, 2)}\n`);
}

export function readStageCache(projectDir: string, stage: string): AwsStageCache | undefined {
  try {
    return JSON.parse(readFileSync(cacheFile(projectDir, stage), 'utf8')) as AwsStageCache;
  } catch {
    return undefined;
  }
}

export interface AwsStage {
  ctx: AwsContext;
  blueprint: Blueprint;
  mode: Mode;
  /** The invoke URL of POST /orders. */
  endpoint: string;
}

export interface ConnectOptions extends Partial<AwsOptions> {
  stage?: string;
  mode?: Mode;
  clients?: AwsClients;
  sleep?: (ms: number) => Promise<void>;
  /** `--api-url`: post orders here (a custom domain, a VPC endpoint) instead of the stage's invoke URL. */
  apiUrl?: string;
}

/** Connects to AWS for a project's stage: clients, account, and the blueprint of the mode deployed there. */
export async function connectStage(
  projectDir: string,
  options: ConnectOptions = {},
): Promise<Omit<AwsStage, 'endpoint'> & { endpoint: () => Promise<string> }> {
  const first = loadBlueprint(projectDir, {
    ...(options.stage ? { stage: options.stage } : {}),
    ...(options.region ? { region: options.region } : {}),
  });
  const ctx = await connectAws(first.names, options);
  const cached = readStageCache(projectDir, first.stage);
  const mode = options.mode ?? (await detectMode(ctx)) ?? cached?.mode;
  if (!mode) {
    throw new UserError(
      `stage "${first.stage}" of ${first.config.app} is not deployed in ${first.region} (no state machine and no event bus found)`,
      ['Run `fulfill deploy --target aws` first, or check --region/--profile.'],
    );
  }
  const blueprint =
    mode === first.mode ? first : loadBlueprint(projectDir, { mode, stage: first.stage, region: first.region });
  return {
    ctx,
    blueprint,
    mode,
    endpoint: () => stageEndpoint(ctx, first.stage, options.apiUrl),
  };
}

/** Where orders are posted: `--api-url` if given, else the invoke URL of the stage's API (as AWS or the emulator serves it). */
export async function stageEndpoint(ctx: AwsContext, stage: string, apiUrl?: string): Promise<string> {
  if (apiUrl) return ordersUrl(apiUrl);
  const apiId = await findRestApi(ctx, ctx.names.apiName());
  if (!apiId)
    throw new UserError(`the API ${ctx.names.apiName()} does not exist in ${ctx.region}`, [
      'Run `fulfill deploy --target aws`.',
    ]);
  return invokeUrl(ctx, apiId, stage);
}

/** Which mode is deployed: AWS is the truth (a state machine, or an event bus, of this stage). */
export async function detectMode(ctx: AwsContext): Promise<Mode | undefined> {
  if (await findStateMachine(ctx, ctx.names.stateMachineName())) return 'orchestration';
  if (await ignoreNotFound(() => ctx.clients.events.send(new DescribeEventBusCommand({ Name: ctx.names.busName() }))))
    return 'events';
  return undefined;
}
