import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { CONFIG_FILE, checkStageName, loadConfig, type FulfillConfig, type Mode } from '../config/schema.js';
import { UserError } from '../errors.js';
import { discoverHandlers, type HandlerSpec } from './handlers.js';
import { LOCAL_ACCOUNT_ID, stageNames, type StageNames } from './naming.js';
import { loadWorkflow, type Workflow } from './workflow.js';
import { loadEventFlow, type EventFlow } from './event-flow.js';

/**
 * Everything the user declared, loaded once and validated: the config, the handlers, and the wiring of one
 * mode (the state machine, or the event flow). Both executors (local and aws) take a blueprint.
 */
export interface Blueprint {
  readonly projectDir: string;
  readonly config: FulfillConfig;
  readonly mode: Mode;
  readonly stage: string;
  readonly region: string;
  readonly names: StageNames;
  readonly handlers: readonly HandlerSpec[];
  /** Orchestration mode: the state machine. */
  readonly workflow?: Workflow;
  /** Events mode: bus, rules, targets, transformers and what each function publishes. */
  readonly events?: EventFlow;
}

export interface BlueprintOptions {
  mode?: Mode;
  stage?: string;
  region?: string;
  /** Resolved state machine definitions known to be valid (the deployed one), not validated again. */
  validDefinitions?: readonly unknown[];
}

export function loadBlueprint(projectDir: string, options: BlueprintOptions = {}): Blueprint {
  const dir = resolve(projectDir);
  const config = loadConfig(dir);
  const mode = options.mode ?? config.mode;
  const stage = options.stage ?? config.stage;
  checkStageName(stage);
  const region = options.region ?? config.region;
  const names = stageNames(config.app, stage, region);
  const handlers = discoverHandlers(dir, config.handlersDir);
  for (const handler of Object.keys(config.functions.permissions ?? {})) {
    if (!handlers.some((h) => h.name === handler))
      throw new UserError(
        `${CONFIG_FILE}: "functions.permissions.${handler}" names no handler in ${config.handlersDir}/`,
        [`Handlers: ${handlers.map((h) => h.name).join(', ')}.`],
      );
  }
  const blueprint: Blueprint = {
    projectDir: dir,
    config,
    mode,
    stage,
    region,
    names,
    handlers,
    // Validation needs only the shape of a Task's ARN; each executor resolves the Tasks in its own account.
    ...(mode === 'orchestration'
      ? {
          workflow: loadWorkflow(
            dir,
            config.workflow,
            handlers,
            (h) => names.inAccount(LOCAL_ACCOUNT_ID).functionArn(h),
            options.validDefinitions,
          ),
        }
      : { events: loadEventFlow(dir, config.events, handlers) }),
  };
  return blueprint;
}

/** A stable hash of what a deployment is made of: unchanged inputs give an unchanged fingerprint. */
export function fingerprint(parts: unknown): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 16);
}
