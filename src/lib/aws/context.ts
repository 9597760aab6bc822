import type { Naming } from '../blueprint/naming.js';
import { ExitCode, UserError } from '../errors.js';
import type { DeployChange } from '../deploy/result.js';
import type { AwsClients } from './clients.js';

export interface AwsContext {
  readonly clients: AwsClients;
  readonly account: string;
  readonly region: string;
  readonly names: Naming;
  /** Tags on everything taggable: how fulfill finds what it owns. */
  readonly tags: Readonly<Record<string, string>>;
  readonly dryRun: boolean;
  readonly changes: DeployChange[];
  readonly sleep: (ms: number) => Promise<void>;
}

export function ownerTags(names: Naming): Record<string, string> {
  return { 'fulfill:app': names.app, 'fulfill:stage': names.stage };
}

/**
 * Records a change and runs its write, except under --dry-run, where the change is only reported.
 * Every mutating AWS call of the deployer goes through here.
 */
export async function apply<T>(ctx: AwsContext, change: DeployChange, write: () => Promise<T>): Promise<T | undefined> {
  if (ctx.dryRun) {
    ctx.changes.push(change);
    return undefined;
  }
  const result = await write();
  ctx.changes.push(change);
  return result;
}

export function unchanged(ctx: AwsContext, kind: DeployChange['kind'], resource: string): DeployChange {
  const change: DeployChange = { resource, kind, action: 'unchanged' };
  ctx.changes.push(change);
  return change;
}

export function errorName(error: unknown): string {
  return (error as { name?: string })?.name ?? '';
}

export function isNotFound(error: unknown): boolean {
  return /NotFound|NoSuchEntity|DoesNotExist|NonExistentQueue/.test(errorName(error));
}

/**
 * IAM is eventually consistent: a role created seconds ago may not be assumable yet. Retries exactly the
 * errors that mean that (Lambda's InvalidParameterValueException "cannot be assumed", Step Functions'
 * AccessDeniedException "not authorized to assume"), with exponential back-off, for at most ~60 s.
 */
export async function retryWhileRolePropagates<T>(ctx: AwsContext, call: () => Promise<T>): Promise<T> {
  let delay = 1000;
  for (let waited = 0; ; ) {
    try {
      return await call();
    } catch (error) {
      const message = (error as Error).message ?? '';
      const propagating =
        (errorName(error) === 'InvalidParameterValueException' && /cannot be assumed|role defined for the function/i.test(message)) ||
        (errorName(error) === 'AccessDeniedException' && /authorized to assume/i.test(message));
      if (!propagating || waited >= 60_000) throw error;
      await ctx.sleep(delay);
      waited += delay;
      delay = Math.min(delay * 2, 10_000);
    }
  }
}

/** Turns an AWS failure into one actionable line, with what the deploy had done so far. */
export function deployFailure(error: unknown, ctx: Pick<AwsContext, 'changes'> | undefined): UserError {
  const name = errorName(error);
  const message = ((error as Error).message ?? String(error)).split('\n')[0]!;
  const done = (ctx?.changes ?? []).filter((c) => c.action !== 'unchanged').map((c) => `${c.action} ${c.resource}`);
  const sofar = done.length ? ` Done before the failure: ${done.join(', ')}.` : ' Nothing was changed.';
  const rerun = 'Fix the cause and run `fulfill deploy --target aws` again: it converges from any partial state.';
  if (name === 'CredentialsProviderError' || /Could not load credentials|credential/i.test(message) && !(error as { $metadata?: unknown }).$metadata) {
    return new UserError('no AWS credentials found (checked the environment, AWS_PROFILE/--profile, shared config files, SSO and instance roles)', ['Run `aws configure`, `aws sso login`, or set AWS_PROFILE; in CI use OIDC role assumption.'], ExitCode.AwsError, 'AwsCredentials');
  }
  if (/AccessDenied|UnauthorizedOperation|not authorized/i.test(name) || /is not authorized to perform/.test(message)) {
    return new UserError(`access denied: ${message}.${sofar}`, ['Grant the caller the action named above on that resource.', rerun], ExitCode.AwsError, 'AwsAccessDenied');
  }
  if (/LimitExceeded|QuotaExceeded|TooManyRequests|Throttl/.test(name)) {
    return new UserError(`AWS quota or rate limit: ${name}: ${message}.${sofar}`, ['Raise the quota in Service Quotas, remove unused resources, or retry later.', rerun], ExitCode.AwsError, 'AwsQuota');
  }
  return new UserError(`AWS ${name || 'error'}: ${message}.${sofar}`, [rerun], ExitCode.AwsError, 'AwsError');
}
