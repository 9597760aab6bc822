import { checkStageName, loadConfig, TARGETS, type FulfillConfig, type TargetName } from '../config/schema.js';
import { UserError } from '../errors.js';
import type { Target, TargetFlags } from './target.js';

/** The stage a command works on: --stage / FULFILL_STAGE, else the config's; checked by the config's rule. */
export function resolveStage(flags: Pick<TargetFlags, 'stage'>, config: FulfillConfig): string {
  return checkStageName(
    flags.stage ?? config.stage,
    flags.stage !== undefined ? '--stage' : 'fulfill.config.json: "stage"',
  );
}

export function resolveTargetName(flags: Pick<TargetFlags, 'target'>, config: FulfillConfig): TargetName {
  const name = flags.target ?? config.target;
  if (!(TARGETS as readonly string[]).includes(name))
    throw new UserError(`--target must be one of ${TARGETS.join(', ')} (got ${JSON.stringify(name)})`);
  return name as TargetName;
}

/**
 * Opens the project's stage on its target: loads the config, resolves stage and target once, and loads the
 * target's implementation lazily (the AWS SDK is imported only when the AWS target is used).
 */
export async function openTarget(flags: TargetFlags): Promise<Target> {
  // Check the stage from flags before touching the file system (the flag parser has too; defence in depth).
  if (flags.stage !== undefined) checkStageName(flags.stage);
  const config = loadConfig(flags.dir);
  const stage = resolveStage(flags, config);
  if (resolveTargetName(flags, config) === 'aws') {
    const { AwsTarget } = await import('./aws.js');
    return new AwsTarget(flags.dir, config, stage, {
      ...(flags.region ? { region: flags.region } : {}),
      ...(flags.profile ? { profile: flags.profile } : {}),
      ...(flags['endpoint-url'] ? { endpointUrl: flags['endpoint-url'] } : {}),
      ...(flags['api-url'] ? { apiUrl: flags['api-url'] } : {}),
    });
  }
  const { LocalTarget } = await import('./local.js');
  return new LocalTarget(flags.dir, config, stage);
}
