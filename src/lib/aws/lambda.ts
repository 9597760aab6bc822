import { createHash } from 'node:crypto';
import {
  AddPermissionCommand,
  CreateFunctionCommand,
  DeleteFunctionCommand,
  DeleteFunctionEventInvokeConfigCommand,
  GetFunctionCommand,
  GetFunctionEventInvokeConfigCommand,
  GetPolicyCommand,
  ListFunctionsCommand,
  PutFunctionEventInvokeConfigCommand,
  RemovePermissionCommand,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
  waitUntilFunctionActiveV2,
  waitUntilFunctionUpdatedV2,
  type FunctionConfiguration,
  type GetFunctionEventInvokeConfigCommandOutput,
} from '@aws-sdk/client-lambda';
import { zipSync } from 'fflate';
import type { DeployChange } from '../deploy/result.js';
import { lambdaLogGroup } from '../blueprint/naming.js';
import {
  apply,
  DEFAULT_WAITER,
  ignoreNotFound,
  retryWhileRolePropagates,
  unchanged,
  type AwsContext,
} from './context.js';
import { deleteLogGroup, listLogGroups } from './logs.js';
import { mayDelete, namesOf, type TaggedResource } from './ownership.js';

export const RUNTIME = 'nodejs22.x' as const;
export const HANDLER = 'index.handler';
export const ARCHITECTURE = 'arm64' as const;
// A fixed timestamp inside the zip, so the same bundle always gives the same bytes and CodeSha256.
const ZIP_MTIME = new Date('2020-01-01T00:00:00Z');

export interface FunctionSpec {
  name: string;
  code: string;
  roleArn: string;
  environment: Record<string, string>;
  timeoutSeconds: number;
  memoryMb: number;
  /** Events mode: how EventBridge reaches the function. */
  events?: {
    /** Lambda's asynchronous invocation: retries of function errors, then the on-failure destination. */
    asyncInvoke: { maximumRetryAttempts: number; maximumEventAgeSeconds: number; onFailure: string };
    /** The rules allowed to invoke the function (one resource-based policy statement each). */
    ruleArns: string[];
  };
}

/** The deployment package: the bundle as index.js. Deterministic: byte-identical for identical code. */
export function zipBundle(code: string): Uint8Array {
  return zipSync({ 'index.js': [new TextEncoder().encode(code), { mtime: ZIP_MTIME, level: 9 }] });
}

// Zips of the bundles seen by this process (a status check followed by a deploy, repeated test runs).
const packages = new Map<string, { zip: Uint8Array; sha: string }>();

function deploymentPackage(code: string): { zip: Uint8Array; sha: string } {
  const key = createHash('sha256').update(code).digest('hex');
  let hit = packages.get(key);
  if (!hit) {
    const zip = zipBundle(code);
    hit = { zip, sha: codeSha256(zip) };
    if (packages.size >= 64) packages.delete(packages.keys().next().value!);
    packages.set(key, hit);
  }
  return hit;
}

/** Lambda's CodeSha256: base64 of the package's SHA-256. */
export function codeSha256(zip: Uint8Array): string {
  return createHash('sha256').update(zip).digest('base64');
}

function waiter(ctx: AwsContext) {
  return { client: ctx.clients.lambda, ...(ctx.waiter ?? DEFAULT_WAITER) };
}

interface PolicyStatement {
  Sid: string;
  Principal?: { Service?: string } | string;
  Condition?: { ArnLike?: Record<string, string>; StringEquals?: Record<string, string> };
}

/** The statement id of the permission for a rule: the rule's name (fulfill-<app>-<stage>-<rule>), so fulfill knows its own. */
export function permissionId(ruleArn: string): string {
  return ruleArn.split('/').at(-1)!;
}

/**
 * A function: created from the zip, or updated only where it differs (code by CodeSha256, configuration field
 * by field, and in events mode the asynchronous invocation settings and the EventBridge permissions). Lambda
 * applies updates asynchronously: the SDK waiters sit between the writes, as Lambda refuses an update while
 * another is in progress.
 */
export async function ensureFunction(ctx: AwsContext, want: FunctionSpec): Promise<DeployChange> {
  const { lambda } = ctx.clients;
  const { zip, sha } = deploymentPackage(want.code);
  const config = {
    Role: want.roleArn,
    Runtime: RUNTIME,
    Handler: HANDLER,
    Timeout: want.timeoutSeconds,
    MemorySize: want.memoryMb,
    Environment: { Variables: want.environment },
    TracingConfig: { Mode: 'Active' as const },
  };
  const asyncInvoke = want.events && {
    // Lambda caps asynchronous retries at 2 and event age at 6 hours.
    MaximumRetryAttempts: Math.min(2, want.events.asyncInvoke.maximumRetryAttempts),
    MaximumEventAgeInSeconds: Math.max(60, Math.min(21600, want.events.asyncInvoke.maximumEventAgeSeconds)),
    DestinationConfig: { OnFailure: { Destination: want.events.asyncInvoke.onFailure } },
  };
  const putAsyncInvoke = () =>
    retryWhileRolePropagates(ctx, () =>
      lambda.send(new PutFunctionEventInvokeConfigCommand({ FunctionName: want.name, ...asyncInvoke! })),
    );
  const addPermission = (ruleArn: string) =>
    lambda.send(
      new AddPermissionCommand({
        FunctionName: want.name,
        StatementId: permissionId(ruleArn),
        Action: 'lambda:InvokeFunction',
        Principal: 'events.amazonaws.com',
        SourceArn: ruleArn,
        SourceAccount: ctx.account,
      }),
    );

  const have = (await ignoreNotFound(() => lambda.send(new GetFunctionCommand({ FunctionName: want.name }))))
    ?.Configuration;
  if (!have) {
    const change: DeployChange = { resource: want.name, kind: 'function', action: 'created' };
    await apply(ctx, change, async () => {
      await retryWhileRolePropagates(ctx, () =>
        lambda.send(
          new CreateFunctionCommand({
            FunctionName: want.name,
            Code: { ZipFile: zip },
            ...config,
            Architectures: [ARCHITECTURE],
            Tags: { ...ctx.tags },
          }),
        ),
      );
      await waitUntilFunctionActiveV2(waiter(ctx), { FunctionName: want.name });
      if (asyncInvoke) await putAsyncInvoke();
      for (const ruleArn of want.events?.ruleArns ?? []) await addPermission(ruleArn);
    });
    return change;
  }

  const codeChanged = have.CodeSha256 !== sha;
  const configWhy = configDiff(have, config);
  const why = [...(codeChanged ? ['code changed'] : []), ...configWhy];
  let invokeChanged = false;
  let permissions: { add: string[]; remove: string[] } = { add: [], remove: [] };
  if (want.events) {
    const current = await ignoreNotFound(() =>
      lambda.send(new GetFunctionEventInvokeConfigCommand({ FunctionName: want.name })),
    );
    invokeChanged = !sameAsyncInvoke(current, asyncInvoke!);
    if (invokeChanged)
      why.push(current ? 'asynchronous invocation settings changed' : 'asynchronous invocation settings missing');
    permissions = permissionDiff(ctx, await readPolicy(ctx, want.name), want.events.ruleArns);
    if (permissions.add.length) why.push(`invoke permission for ${permissions.add.map(permissionId).join(', ')}`);
    if (permissions.remove.length) why.push(`stale permission ${permissions.remove.join(', ')}`);
  }
  if (why.length === 0) return unchanged(ctx, 'function', want.name);

  const change: DeployChange = { resource: want.name, kind: 'function', action: 'updated', why };
  await apply(ctx, change, async () => {
    // A previous run may have stopped right after a write: let Lambda finish it first.
    if (have.State === 'Pending') await waitUntilFunctionActiveV2(waiter(ctx), { FunctionName: want.name });
    if (have.LastUpdateStatus === 'InProgress')
      await waitUntilFunctionUpdatedV2(waiter(ctx), { FunctionName: want.name });
    if (codeChanged) {
      await lambda.send(new UpdateFunctionCodeCommand({ FunctionName: want.name, ZipFile: zip }));
      await waitUntilFunctionUpdatedV2(waiter(ctx), { FunctionName: want.name });
    }
    if (configWhy.length) {
      await retryWhileRolePropagates(ctx, () =>
        lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: want.name, ...config })),
      );
      await waitUntilFunctionUpdatedV2(waiter(ctx), { FunctionName: want.name });
    }
    if (invokeChanged) await putAsyncInvoke();
    for (const sid of permissions.remove) await removePermission(ctx, want.name, sid);
    for (const ruleArn of permissions.add) await addPermission(ruleArn);
  });
  return change;
}

function configDiff(
  have: FunctionConfiguration,
  want: {
    Role: string;
    Runtime: string;
    Handler: string;
    Timeout: number;
    MemorySize: number;
    Environment: { Variables: Record<string, string> };
    TracingConfig: { Mode: string };
  },
): string[] {
  const why: string[] = [];
  if (have.Role !== want.Role) why.push('role changed');
  if (have.Runtime !== want.Runtime) why.push(`runtime ${have.Runtime} -> ${want.Runtime}`);
  if (have.Handler !== want.Handler) why.push('handler changed');
  if (have.Timeout !== want.Timeout) why.push(`timeout ${have.Timeout} -> ${want.Timeout} s`);
  if (have.MemorySize !== want.MemorySize) why.push(`memory ${have.MemorySize} -> ${want.MemorySize} MB`);
  if (
    JSON.stringify(sortKeys(have.Environment?.Variables ?? {})) !== JSON.stringify(sortKeys(want.Environment.Variables))
  )
    why.push('environment changed');
  if ((have.TracingConfig?.Mode ?? 'PassThrough') !== want.TracingConfig.Mode) why.push('tracing changed');
  return why;
}

function sameAsyncInvoke(
  have: GetFunctionEventInvokeConfigCommandOutput | undefined,
  want: {
    MaximumRetryAttempts: number;
    MaximumEventAgeInSeconds: number;
    DestinationConfig: { OnFailure: { Destination: string } };
  },
): boolean {
  return (
    have !== undefined &&
    have.MaximumRetryAttempts === want.MaximumRetryAttempts &&
    have.MaximumEventAgeInSeconds === want.MaximumEventAgeInSeconds &&
    have.DestinationConfig?.OnFailure?.Destination === want.DestinationConfig.OnFailure.Destination &&
    !have.DestinationConfig?.OnSuccess?.Destination
  );
}

function sortKeys(o: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));
}

async function readPolicy(ctx: AwsContext, functionName: string): Promise<PolicyStatement[]> {
  const policy = (
    await ignoreNotFound(() => ctx.clients.lambda.send(new GetPolicyCommand({ FunctionName: functionName })))
  )?.Policy;
  return policy ? (JSON.parse(policy) as { Statement: PolicyStatement[] }).Statement : [];
}

/** Which EventBridge permissions to add, and which of fulfill's (statement ids with this stage's prefix) to remove. */
function permissionDiff(
  ctx: AwsContext,
  statements: PolicyStatement[],
  ruleArns: readonly string[],
): { add: string[]; remove: string[] } {
  const prefix = ctx.names.prefix;
  const matches = (s: PolicyStatement, arn: string) =>
    s.Condition?.ArnLike?.['AWS:SourceArn'] === arn &&
    s.Condition?.StringEquals?.['AWS:SourceAccount'] === ctx.account &&
    (typeof s.Principal === 'object' ? s.Principal.Service : s.Principal) === 'events.amazonaws.com';
  const wanted = new Map(ruleArns.map((arn) => [permissionId(arn), arn]));
  const add = ruleArns.filter((arn) => !statements.some((s) => s.Sid === permissionId(arn) && matches(s, arn)));
  // A statement with a wanted id but other conditions is replaced: removed first, then added.
  const remove = statements
    .filter((s) => s.Sid.startsWith(prefix) && (!wanted.has(s.Sid) || !matches(s, wanted.get(s.Sid)!)))
    .map((s) => s.Sid);
  return { add, remove };
}

async function removePermission(ctx: AwsContext, functionName: string, sid: string): Promise<void> {
  await ignoreNotFound(() =>
    ctx.clients.lambda.send(new RemovePermissionCommand({ FunctionName: functionName, StatementId: sid })),
  );
}

/**
 * Mode switch to orchestration: what events mode added to a function (EventBridge permissions, the
 * asynchronous invocation settings pointing at the dead-letter queue) is removed.
 */
export async function removeEventsWiring(ctx: AwsContext, functionName: string): Promise<void> {
  const { lambda } = ctx.clients;
  if (!(await ignoreNotFound(() => lambda.send(new GetFunctionCommand({ FunctionName: functionName }))))) return;
  const stale = (await readPolicy(ctx, functionName))
    .filter((s) => s.Sid.startsWith(ctx.names.prefix))
    .map((s) => s.Sid);
  const invokeConfig = await ignoreNotFound(() =>
    lambda.send(new GetFunctionEventInvokeConfigCommand({ FunctionName: functionName })),
  );
  if (!stale.length && !invokeConfig) return;
  await apply(
    ctx,
    {
      resource: `${functionName}/events-wiring`,
      kind: 'permission',
      action: 'deleted',
      why: [...stale.map((s) => `permission ${s}`), ...(invokeConfig ? ['asynchronous invocation settings'] : [])],
    },
    async () => {
      for (const sid of stale) await removePermission(ctx, functionName, sid);
      if (invokeConfig)
        await ignoreNotFound(() =>
          lambda.send(new DeleteFunctionEventInvokeConfigCommand({ FunctionName: functionName })),
        );
    },
  );
}

/** Functions named like this stage's (`fulfill-<app>-<stage>-*`) that exist in the account. */
export async function listStageFunctions(ctx: AwsContext): Promise<string[]> {
  const names: string[] = [];
  let Marker: string | undefined;
  do {
    const page = await ctx.clients.lambda.send(new ListFunctionsCommand({ Marker, MaxItems: 50 }));
    for (const fn of page.Functions ?? [])
      if (fn.FunctionName?.startsWith(ctx.names.prefix)) names.push(fn.FunctionName);
    Marker = page.NextMarker;
  } while (Marker);
  return names;
}

/**
 * Removes what belongs to handlers that are gone from the project: their functions and, independently, their
 * log groups. Each is found from AWS on every run (functions by name prefix and by tag, log groups by name
 * prefix and by tag), not from what this run deleted, so a run that stopped between a function and its log
 * group finishes the job when re-run. Each delete checks the resource's tags.
 */
export async function removeStaleFunctions(
  ctx: AwsContext,
  keep: ReadonlySet<string>,
  tagging: Promise<readonly TaggedResource[]>,
): Promise<void> {
  const [listed, tagged] = await Promise.all([listStageFunctions(ctx), tagging]);
  const functions = new Set([...listed, ...namesOf(tagged, 'lambda', 'function')]);
  for (const name of functions) if (!keep.has(name)) await deleteFunction(ctx, name);
  const keepGroups = new Set([...keep].map(lambdaLogGroup));
  const groups = new Set([
    ...(await listLogGroups(ctx, lambdaLogGroup(ctx.names.prefix))),
    ...namesOf(tagged, 'logs', 'log-group').filter((g) => g.startsWith(lambdaLogGroup(''))),
  ]);
  for (const group of groups) if (!keepGroups.has(group)) await deleteLogGroup(ctx, group);
}

/** Deletes a function of this stage (its resource-based policy and invoke settings go with it); one without its tags stays. */
export async function deleteFunction(ctx: AwsContext, name: string): Promise<void> {
  const found = await ignoreNotFound(() => ctx.clients.lambda.send(new GetFunctionCommand({ FunctionName: name })));
  if (!found || !mayDelete(ctx, name, found.Tags)) return;
  await apply(ctx, { resource: name, kind: 'function', action: 'deleted' }, () =>
    ignoreNotFound(() => ctx.clients.lambda.send(new DeleteFunctionCommand({ FunctionName: name }))),
  );
}
