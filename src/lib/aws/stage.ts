import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DescribeEventBusCommand } from '@aws-sdk/client-eventbridge';
import { loadBlueprint, type Blueprint } from '../blueprint/blueprint.js';
import type { Mode } from '../config/schema.js';
import { UserError } from '../errors.js';
import { STATE_DIR } from '../local/store.js';
import { findRestApi, invokeUrl } from './apigw.js';
import { callerAccount, createClients, type AwsClients, type AwsOptions } from './clients.js';
import { deployFailure, isNotFound, ownerTags, type AwsContext } from './context.js';
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
}

/** Connects to AWS for a project's stage: clients, account, and the blueprint of the mode deployed there. */
export async function connectStage(projectDir: string, options: ConnectOptions = {}): Promise<Omit<AwsStage, 'endpoint'> & { endpoint: () => Promise<string> }> {
  const first = loadBlueprint(projectDir, { ...(options.stage ? { stage: options.stage } : {}), ...(options.region ? { region: options.region } : {}) });
  const clients = options.clients ?? (await createClients({ region: options.region ?? first.region, profile: options.profile, endpointUrl: options.endpointUrl }));
  let account: string;
  try {
    account = await callerAccount(clients);
  } catch (error) {
    throw deployFailure(error, undefined);
  }
  const ctx: AwsContext = { clients, account, region: first.region, names: first.names, tags: ownerTags(first.names), dryRun: false, changes: [], sleep: options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms))) };
  const cached = readStageCache(projectDir, first.stage);
  const mode = options.mode ?? (await detectMode(ctx)) ?? cached?.mode;
  if (!mode) {
    throw new UserError(`stage "${first.stage}" of ${first.config.app} is not deployed in ${first.region} (no state machine and no event bus found)`, ['Run `fulfill deploy --target aws` first, or check --region/--profile.']);
  }
  const blueprint = mode === first.mode ? first : loadBlueprint(projectDir, { mode, stage: first.stage, region: first.region });
  return {
    ctx,
    blueprint,
    mode,
    endpoint: async () => {
      const apiId = await findRestApi(ctx, first.names.apiName());
      if (!apiId) throw new UserError(`the API ${first.names.apiName()} does not exist in ${first.region}`, ['Run `fulfill deploy --target aws`.']);
      return invokeUrl(ctx, apiId, first.stage);
    },
  };
}

/** Which mode is deployed: AWS is the truth (a state machine, or an event bus, of this stage). */
export async function detectMode(ctx: AwsContext): Promise<Mode | undefined> {
  if (await findStateMachine(ctx, ctx.names.stateMachineName())) return 'orchestration';
  try {
    await ctx.clients.events.send(new DescribeEventBusCommand({ Name: ctx.names.busName() }));
    return 'events';
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
  return undefined;
}
