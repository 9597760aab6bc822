import { AsyncLocalStorage } from 'node:async_hooks';
import type { Naming, StageNames } from '../blueprint/naming.js';
import { BugError, ExitCode, UserError } from '../errors.js';
import type { DeployChange } from '../deploy/result.js';
import { callerAccount, createClients, type AwsClients, type AwsOptions } from './clients.js';

/** SDK waiter timing, in seconds (the SDK's unit). Tests shrink it; AWS needs seconds to minutes. */
export interface WaiterTiming {
  minDelay: number;
  maxDelay: number;
  maxWaitTime: number;
}

export interface AwsContext {
  readonly clients: AwsClients;
  readonly account: string;
  readonly region: string;
  /** The stage's names and ARNs in this account. */
  readonly names: Naming;
  /** Tags on everything taggable: how fulfill finds what it owns. */
  readonly tags: Readonly<Record<string, string>>;
  /** --dry-run: every ensure reads and compares, and records what it would do instead of writing. */
  readonly dryRun: boolean;
  readonly changes: DeployChange[];
  /** Resources a delete left alone because they do not carry this stage's tags (one line each for the user). */
  readonly skipped: Skipped[];
  /** The endpoint override (--endpoint-url / AWS_ENDPOINT_URL): an emulator, whose invoke URLs differ from AWS's. */
  readonly endpointUrl?: string;
  /** Back-off between retries of eventually consistent errors (injected by tests). */
  readonly sleep: (ms: number) => Promise<void>;
  readonly waiter?: WaiterTiming;
  /** How long to wait for IAM (and SQS name reuse) to become consistent before giving up, in ms. */
  readonly patienceMs?: number;
}

export interface Skipped {
  resource: string;
  reason: string;
}

export const DEFAULT_WAITER: WaiterTiming = { minDelay: 1, maxDelay: 5, maxWaitTime: 300 };
const DEFAULT_PATIENCE_MS = 90_000;

export interface AwsContextOptions {
  dryRun?: boolean;
  endpointUrl?: string;
  sleep?: (ms: number) => Promise<void>;
  waiter?: WaiterTiming;
  patienceMs?: number;
}

/**
 * The one way an AwsContext is made (deploy, status, destroy, logs, send-order, tests): the clients guarded
 * against writes under --dry-run, the stage's names bound to the account, and the owner tags.
 */
export function awsContext(
  clients: AwsClients,
  names: StageNames,
  account: string,
  options: AwsContextOptions = {},
): AwsContext {
  const bound = names.inAccount(account);
  const dryRun = options.dryRun ?? false;
  return {
    clients: guardClients(clients, dryRun),
    account,
    region: bound.region,
    names: bound,
    tags: ownerTags(bound),
    dryRun,
    changes: [],
    skipped: [],
    sleep: options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
    ...(options.endpointUrl ? { endpointUrl: options.endpointUrl } : {}),
    ...(options.waiter ? { waiter: options.waiter } : {}),
    ...(options.patienceMs !== undefined ? { patienceMs: options.patienceMs } : {}),
  };
}

/** Clients for the options (unless injected), the caller's account, and the context: "Connect to AWS". */
export async function connectAws(
  names: StageNames,
  options: Partial<AwsOptions> & AwsContextOptions & { clients?: AwsClients },
  command?: string,
): Promise<AwsContext> {
  try {
    const clients =
      options.clients ??
      (await createClients({
        region: options.region ?? names.region,
        profile: options.profile,
        endpointUrl: options.endpointUrl,
      }));
    const account = await callerAccount(clients);
    const endpointUrl = options.endpointUrl ?? process.env.AWS_ENDPOINT_URL;
    return awsContext(clients, names, account, { ...options, ...(endpointUrl ? { endpointUrl } : {}) });
  } catch (error) {
    throw deployFailure(error, undefined, command);
  }
}

export function ownerTags(names: Pick<StageNames, 'app' | 'stage'>): Record<string, string> {
  return { 'fulfill:app': names.app, 'fulfill:stage': names.stage };
}

export function tagList(ctx: Pick<AwsContext, 'tags'>): Array<{ Key: string; Value: string }> {
  return Object.entries(ctx.tags).map(([Key, Value]) => ({ Key, Value }));
}

/** Reads are Get*, List*, Describe*; every other AWS operation changes something. */
export function isMutatingCommand(name: string): boolean {
  return !/^(Get|List|Describe)/.test(name.replace(/Command$/, ''));
}

/** Tracks, per `apply`, whether any of its writes reached AWS (to report half-done changes honestly). */
const writes = new AsyncLocalStorage<{ wrote: boolean }>();

/**
 * Wraps the clients so that every `send` goes through one place: under --dry-run a mutating command is a bug
 * and is refused before it leaves the process; otherwise a successful write is noted for `apply`.
 */
export function guardClients(clients: AwsClients, dryRun: boolean): AwsClients {
  const wrap = <C extends object>(service: string, client: C): C =>
    new Proxy(client, {
      get(target, prop, receiver) {
        if (prop !== 'send') return Reflect.get(target, prop, receiver);
        const send = Reflect.get(target, prop, receiver) as (command: unknown, ...rest: unknown[]) => Promise<unknown>;
        return async (command: { constructor: { name: string } }, ...rest: unknown[]) => {
          const mutating = isMutatingCommand(command.constructor.name);
          if (mutating && dryRun)
            throw new Error(
              `dry run: refused to send ${command.constructor.name} (a bug in fulfill: please report it)`,
            );
          let result: unknown;
          try {
            result = await send.call(target, command, ...rest);
          } catch (error) {
            // Remember which call failed, so the error line can name the service and the operation.
            if (error && typeof error === 'object')
              Object.assign(error, { $call: { service, operation: command.constructor.name.replace(/Command$/, '') } });
            throw error;
          }
          const store = writes.getStore();
          if (mutating && store) store.wrote = true;
          return result;
        };
      },
    });
  return Object.fromEntries(
    Object.entries(clients).map(([name, client]) => [name, wrap(name, client as object)]),
  ) as unknown as AwsClients;
}

/**
 * Records a change and runs its writes, except under --dry-run, where the change is only recorded. Every
 * mutating AWS call of the deployer goes through here. A write that fails after part of it reached AWS is
 * recorded as incomplete, so the failure summary says what exists now.
 */
export async function apply<T>(ctx: AwsContext, change: DeployChange, write: () => Promise<T>): Promise<T | undefined> {
  if (ctx.dryRun) {
    ctx.changes.push(change);
    return undefined;
  }
  const progress = { wrote: false };
  try {
    const result = await writes.run(progress, write);
    ctx.changes.push(change);
    return result;
  } catch (error) {
    if (progress.wrote) ctx.changes.push({ ...change, why: [...(change.why ?? []), 'incomplete'] });
    throw error;
  }
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

/** Runs a call; "not found" becomes undefined: a read of something that may not exist, or a delete of something already gone. */
export async function ignoreNotFound<T>(read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/**
 * The errors that mean "the role (or its new policy) has not reached this service yet": IAM is eventually
 * consistent, and Lambda and Step Functions check the role when a function, its destination or a state
 * machine is saved.
 */
export function isRoleNotReady(error: unknown): boolean {
  const message = (error as Error)?.message ?? '';
  switch (errorName(error)) {
    case 'InvalidParameterValueException':
      // Lambda: "The role defined for the function cannot be assumed by Lambda." / "The provided execution
      // role does not have permissions to call SendMessage on SQS" (async invoke destination, new policy).
      return /cannot be assumed by Lambda|execution role does not have permissions to call/i.test(message);
    case 'AccessDeniedException':
      // Step Functions: "Neither the global service principal states.amazonaws.com, nor the regional one is
      // authorized to assume the provided role." / "... not authorized to access the Log Destination".
      return /authorized to assume the provided role|not authorized to access the Log Destination/i.test(message);
    default:
      return false;
  }
}

/**
 * Retries `call` while `transient(error)` holds, with exponential back-off (1 s, 2 s, 4 s, 8 s, 8 s, ...),
 * for at most ctx.patienceMs (90 s by default); then the last error propagates. Nothing else is retried here:
 * throttling and 5xx are the SDK's job (adaptive retry mode).
 */
export async function retryWhile<T>(
  ctx: Pick<AwsContext, 'sleep' | 'patienceMs'>,
  transient: (error: unknown) => boolean,
  call: () => Promise<T>,
): Promise<T> {
  const patience = ctx.patienceMs ?? DEFAULT_PATIENCE_MS;
  let delay = 1000;
  for (let waited = 0; ;) {
    try {
      return await call();
    } catch (error) {
      if (!transient(error) || waited + delay > patience) throw error;
      await ctx.sleep(delay);
      waited += delay;
      delay = Math.min(delay * 2, 8000);
    }
  }
}

export function retryWhileRolePropagates<T>(
  ctx: Pick<AwsContext, 'sleep' | 'patienceMs'>,
  call: () => Promise<T>,
): Promise<T> {
  return retryWhile(ctx, isRoleNotReady, call);
}

/** Runs `fn` over `items`, at most `limit` at a time. After a failure no new item starts; the first error is thrown once the started ones settle. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (!failure && next < items.length) {
      const index = next++;
      try {
        results[index] = await fn(items[index]);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failure) throw failure.error;
  return results;
}

/** Runs independent tasks concurrently; waits for all of them, then throws the first failure. */
export async function all(tasks: ReadonlyArray<() => Promise<unknown>>): Promise<void> {
  const settled = await Promise.allSettled(tasks.map((task) => task()));
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason;
}

/**
 * Turns an AWS failure into one actionable line (the message) plus what to do and what the deploy had done
 * (the suggestions). Credentials, region, access denied and quotas each get their own wording.
 */
export function deployFailure(error: unknown, ctx: Pick<AwsContext, 'changes'> | undefined, command?: string): Error {
  if (error instanceof UserError) return error;
  const name = errorName(error);
  const message = firstLine((error as Error)?.message ?? String(error)).replace(/\.$/, '');
  // The SDK's retry middleware puts $metadata on network errors too: only an HTTP status means AWS answered.
  const fromAws =
    typeof (error as { $metadata?: { httpStatusCode?: unknown } })?.$metadata?.httpStatusCode === 'number';
  const done = (ctx?.changes ?? []).filter((c) => c.action !== 'unchanged');
  const tail = done.length
    ? ` ${done.length} change${done.length === 1 ? ' was' : 's were'} made before the failure (listed below).`
    : ' Nothing was changed.';
  const rerun = command
    ? `Fix the cause and run \`${command}\` again: it converges, picking up where this run stopped.`
    : 'Fix the cause and run the command again.';
  const sofar = done.length
    ? [
        `Done before the failure: ${done.map((c) => `${c.action} ${c.kind} ${c.resource}${c.why?.includes('incomplete') ? ' (incomplete)' : ''}`).join(', ')}.`,
      ]
    : [];
  const fail = (line: string, hints: string[], code: string) =>
    new UserError(`${line}.${tail}`, [...hints, ...sofar, rerun], ExitCode.AwsError, code);

  if (
    name === 'CredentialsProviderError' ||
    name === 'TokenProviderError' ||
    (!fromAws && /Could not load credentials|credentials? (is|are) (missing|not found)/i.test(message))
  ) {
    return fail(
      'no AWS credentials found (checked the environment, AWS_PROFILE/--profile, the shared config and credentials files, SSO and instance roles)',
      [
        'Run `aws configure` or `aws sso login`, or set AWS_PROFILE / --profile; in CI, assume a role (e.g. GitHub OIDC).',
      ],
      'AwsCredentials',
    );
  }
  if (
    /^(ExpiredToken|ExpiredTokenException|InvalidClientTokenId|UnrecognizedClientException|InvalidSignatureException|SignatureDoesNotMatch)$/.test(
      name,
    )
  ) {
    return fail(
      `AWS rejected the credentials (${name}): ${message}`,
      ['Refresh them (`aws sso login`, new session token) or check AWS_PROFILE / --profile.'],
      'AwsCredentials',
    );
  }
  if (/Region is missing|region.*(not|isn't) (set|configured)/i.test(message)) {
    return fail(
      'no AWS region: pass --region, set AWS_REGION, or set "region" in fulfill.config.json',
      [],
      'AwsRegion',
    );
  }
  if (
    /AccessDenied|UnauthorizedOperation|AuthorizationError|NotAuthorized/i.test(name) ||
    /is not authorized to perform/.test(message)
  ) {
    const denied =
      /(?:User|Role)?:?\s*(\S+) is not authorized to perform: (\S+?)(?: on resource: (\S+?))?(?: because|\s*$|\s+with)/.exec(
        message,
      );
    const line = denied
      ? `access denied: ${denied[1]} may not call ${denied[2]}${denied[3] ? ` on ${denied[3]}` : ''}`
      : `access denied (${name}): ${message}`;
    return fail(
      line,
      [
        denied
          ? `Allow ${denied[2]}${denied[3] ? ` on ${denied[3]}` : ''} in the deploying identity's IAM policy (or ask your administrator).`
          : "Check the deploying identity's IAM permissions.",
      ],
      'AwsAccessDenied',
    );
  }
  if (/LimitExceeded|QuotaExceeded|TooManyRequests|Throttl|RequestLimitExceeded/.test(name)) {
    const throttled = /TooManyRequests|Throttl/.test(name);
    return fail(
      throttled
        ? `AWS kept throttling the deploy (${name}) after retries: ${message}`
        : `AWS quota reached (${name}): ${message}`,
      [
        throttled
          ? 'Retry in a minute, or deploy fewer stages at once.'
          : 'Remove unused resources or raise the quota in the Service Quotas console.',
      ],
      'AwsQuota',
    );
  }
  if (
    !fromAws &&
    /ECONNREFUSED|ENOTFOUND|ETIMEDOUT|ECONNRESET|EAI_AGAIN|socket hang up|TimeoutError/.test(
      `${name} ${(error as { code?: string })?.code ?? ''} ${message}`,
    )
  ) {
    return fail(
      `AWS endpoint unreachable: ${message}`,
      ['Check the network, --region and --endpoint-url / AWS_ENDPOINT_URL.'],
      'AwsError',
    );
  }
  // Not an answer from AWS (a TypeError, the dry-run guard): a bug in fulfill, exit 70, not an AWS error.
  if ((error as { $metadata?: unknown })?.$metadata === undefined)
    return error instanceof Error ? error : new BugError(String(error));
  const call = (error as { $call?: { service: string; operation: string } }).$call;
  return fail(`AWS ${call ? `${call.service} ${call.operation}: ` : ''}${name || 'error'}: ${message}`, [], 'AwsError');
}

function firstLine(text: string): string {
  return (
    text
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)[0] ?? text
  );
}
