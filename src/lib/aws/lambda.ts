import { createHash } from 'node:crypto';
import {
  AddPermissionCommand,
  CreateFunctionCommand,
  DeleteFunctionCommand,
  GetFunctionCommand,
  GetPolicyCommand,
  PutFunctionEventInvokeConfigCommand,
  GetFunctionEventInvokeConfigCommand,
  ListFunctionsCommand,
  RemovePermissionCommand,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
  waitUntilFunctionActiveV2,
  waitUntilFunctionUpdatedV2,
  type FunctionConfiguration,
} from '@aws-sdk/client-lambda';
import { zipSync } from 'fflate';
import { apply, isNotFound, retryWhileRolePropagates, unchanged, type AwsContext } from './context.js';

export const RUNTIME = 'nodejs22.x' as const;
export const HANDLER = 'index.handler';
// A fixed timestamp inside the zip, so the same bundle always gives the same bytes and CodeSha256.
const ZIP_MTIME = new Date('2020-01-01T00:00:00Z');

export interface FunctionSpec {
  name: string;
  code: string;
  roleArn: string;
  environment: Record<string, string>;
  timeoutSeconds: number;
  memoryMb: number;
}

/** The deployment package: the bundle as index.js. Deterministic: byte-identical for identical code. */
export function zipBundle(code: string): Uint8Array {
  return zipSync({ 'index.js': [new TextEncoder().encode(code), { mtime: ZIP_MTIME, level: 9 }] });
}

/** Lambda's CodeSha256: base64 of the package's SHA-256. */
export function codeSha256(zip: Uint8Array): string {
  return createHash('sha256').update(zip).digest('base64');
}

/** The SDK waiters check at once, then poll every 1-5 s for up to 5 minutes. */
function waiterConfig(ctx: AwsContext) {
  return { client: ctx.clients.lambda, maxWaitTime: 300, minDelay: 1, maxDelay: 5 };
}

export async function ensureFunction(ctx: AwsContext, want: FunctionSpec): Promise<string> {
  const { lambda } = ctx.clients;
  const zip = zipBundle(want.code);
  const sha = codeSha256(zip);
  let have: FunctionConfiguration | undefined;
  try {
    have = (await lambda.send(new GetFunctionCommand({ FunctionName: want.name }))).Configuration;
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
  const config = {
    Role: want.roleArn,
    Runtime: RUNTIME,
    Handler: HANDLER,
    Timeout: want.timeoutSeconds,
    MemorySize: want.memoryMb,
    Environment: { Variables: want.environment },
    TracingConfig: { Mode: 'Active' as const },
  };
  if (!have) {
    await apply(ctx, { resource: want.name, kind: 'function', action: 'created' }, async () => {
      await retryWhileRolePropagates(ctx, () =>
        lambda.send(new CreateFunctionCommand({ FunctionName: want.name, Code: { ZipFile: zip }, ...config, Architectures: ['arm64'], Tags: { ...ctx.tags } })),
      );
      await waitUntilFunctionActiveV2(waiterConfig(ctx), { FunctionName: want.name });
    });
    return functionArn(ctx, want.name);
  }
  const why: string[] = [];
  if (have.CodeSha256 !== sha) why.push('code changed');
  const configWhy = configDiff(have, config);
  why.push(...configWhy);
  if (why.length === 0) {
    unchanged(ctx, 'function', want.name);
    return have.FunctionArn ?? functionArn(ctx, want.name);
  }
  await apply(ctx, { resource: want.name, kind: 'function', action: 'updated', why }, async () => {
    if (have.CodeSha256 !== sha) {
      await lambda.send(new UpdateFunctionCodeCommand({ FunctionName: want.name, ZipFile: zip }));
      // Lambda refuses a second update while the first is in progress.
      await waitUntilFunctionUpdatedV2(waiterConfig(ctx), { FunctionName: want.name });
    }
    if (configWhy.length > 0) {
      await retryWhileRolePropagates(ctx, () => lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: want.name, ...config })));
      await waitUntilFunctionUpdatedV2(waiterConfig(ctx), { FunctionName: want.name });
    }
  });
  return have.FunctionArn ?? functionArn(ctx, want.name);
}

function configDiff(have: FunctionConfiguration, want: { Role: string; Runtime: string; Handler: string; Timeout: number; MemorySize: number; Environment: { Variables: Record<string, string> }; TracingConfig: { Mode: string } }): string[] {
  const why: string[] = [];
  if (have.Role !== want.Role) why.push('role changed');
  if (have.Runtime !== want.Runtime || have.Handler !== want.Handler) why.push('runtime changed');
  if (have.Timeout !== want.Timeout || have.MemorySize !== want.MemorySize) why.push('timeout or memory changed');
  if (JSON.stringify(sortKeys(have.Environment?.Variables ?? {})) !== JSON.stringify(sortKeys(want.Environment.Variables))) why.push('environment changed');
  if ((have.TracingConfig?.Mode ?? 'PassThrough') !== want.TracingConfig.Mode) why.push('tracing changed');
  return why;
}

function sortKeys(o: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));
}

export function functionArn(ctx: Pick<AwsContext, 'region' | 'account'>, name: string): string {
  return `arn:aws:lambda:${ctx.region}:${ctx.account}:function:${name}`;
}

/**
 * Events mode: the resource-based policy letting EventBridge invoke the function, one statement per rule,
 * scoped by SourceArn (the rule) and SourceAccount. Statements fulfill added for rules that are gone are removed.
 */
export async function ensureInvokePermissions(ctx: AwsContext, functionName: string, ruleArns: readonly string[]): Promise<void> {
  const { lambda } = ctx.clients;
  let statements: Array<{ Sid: string; Condition?: { ArnLike?: Record<string, string> } }> = [];
  try {
    const policy = (await lambda.send(new GetPolicyCommand({ FunctionName: functionName }))).Policy;
    statements = policy ? (JSON.parse(policy) as { Statement: typeof statements }).Statement : [];
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
  const wanted = new Map(ruleArns.map((arn) => [`fulfill-${arn.split('/').at(-1)}`, arn]));
  for (const [sid, arn] of wanted) {
    const have = statements.find((s) => s.Sid === sid);
    if (have && have.Condition?.ArnLike?.['AWS:SourceArn'] === arn) continue;
    await apply(ctx, { resource: `${functionName}/${sid}`, kind: 'permission', action: have ? 'updated' : 'created' }, async () => {
      if (have) await lambda.send(new RemovePermissionCommand({ FunctionName: functionName, StatementId: sid }));
      await lambda.send(new AddPermissionCommand({ FunctionName: functionName, StatementId: sid, Action: 'lambda:InvokeFunction', Principal: 'events.amazonaws.com', SourceArn: arn, SourceAccount: ctx.account }));
    });
  }
  for (const s of statements) {
    if (s.Sid.startsWith('fulfill-') && !wanted.has(s.Sid)) {
      await apply(ctx, { resource: `${functionName}/${s.Sid}`, kind: 'permission', action: 'deleted' }, () => lambda.send(new RemovePermissionCommand({ FunctionName: functionName, StatementId: s.Sid })));
    }
  }
}

/**
 * Events mode: EventBridge invokes functions asynchronously, so function errors are retried by Lambda's
 * asynchronous invocation (not by the rule's RetryPolicy): bound them and send what still fails to the DLQ.
 */
export async function ensureAsyncInvokeConfig(ctx: AwsContext, functionName: string, maximumRetryAttempts: number, maximumEventAgeSeconds: number, dlqArn: string): Promise<void> {
  const { lambda } = ctx.clients;
  const want = { MaximumRetryAttempts: Math.min(2, maximumRetryAttempts), MaximumEventAgeInSeconds: Math.min(21600, maximumEventAgeSeconds), DestinationConfig: { OnFailure: { Destination: dlqArn } } };
  let exists = false;
  try {
    const have = await lambda.send(new GetFunctionEventInvokeConfigCommand({ FunctionName: functionName }));
    exists = true;
    if (have.MaximumRetryAttempts === want.MaximumRetryAttempts && have.MaximumEventAgeInSeconds === want.MaximumEventAgeInSeconds && have.DestinationConfig?.OnFailure?.Destination === dlqArn) return;
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
  await apply(ctx, { resource: `${functionName}/async-invoke-config`, kind: 'function', action: exists ? 'updated' : 'created', ...(exists ? { why: ['asynchronous retries or on-failure destination changed'] } : {}) }, () =>
    lambda.send(new PutFunctionEventInvokeConfigCommand({ FunctionName: functionName, ...want })),
  );
}

/** Functions named like this stage's (`fulfill-<app>-<stage>-*`) that exist in the account. */
export async function listStageFunctions(ctx: AwsContext, prefix: string): Promise<string[]> {
  const names: string[] = [];
  let Marker: string | undefined;
  do {
    const page = await ctx.clients.lambda.send(new ListFunctionsCommand({ Marker, MaxItems: 50 }));
    for (const fn of page.Functions ?? []) if (fn.FunctionName?.startsWith(prefix)) names.push(fn.FunctionName);
    Marker = page.NextMarker;
  } while (Marker);
  return names;
}

/** Removes this stage's functions whose handler is gone from the project (only those tagged as ours). */
export async function removeStaleFunctions(ctx: AwsContext, prefix: string, keep: ReadonlySet<string>): Promise<void> {
  for (const name of await listStageFunctions(ctx, prefix)) {
    if (keep.has(name)) continue;
    const tags = (await ctx.clients.lambda.send(new GetFunctionCommand({ FunctionName: name }))).Tags ?? {};
    if (tags['fulfill:app'] !== ctx.tags['fulfill:app'] || tags['fulfill:stage'] !== ctx.tags['fulfill:stage']) continue;
    await deleteFunction(ctx, name);
  }
}

export async function deleteFunction(ctx: AwsContext, name: string): Promise<void> {
  try {
    await ctx.clients.lambda.send(new GetFunctionCommand({ FunctionName: name }));
  } catch (error) {
    if (isNotFound(error)) return;
    throw error;
  }
  await apply(ctx, { resource: name, kind: 'function', action: 'deleted' }, () => ctx.clients.lambda.send(new DeleteFunctionCommand({ FunctionName: name })));
}
