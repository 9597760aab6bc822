import { existsSync, readdirSync, rmdirSync, rmSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { loadBlueprint } from '../blueprint/blueprint.js';
import { LOCAL_ACCOUNT_ID } from '../blueprint/naming.js';
import { handlerPermissionSid } from '../aws/policies.js';
import type { ComparedOrder } from '../compare/orders.js';
import type { Mode } from '../config/schema.js';
import { UserError } from '../errors.js';
import { localDeploySteps } from '../local/deploy.js';
import { LocalStore } from '../local/store.js';
import { localSender } from '../order/send.js';
import { STATE_DIR } from '../project/state.js';
import { createCallRecorder } from './call-recorder.js';
import { comparePolicy, type MissingPermission, type Statement } from './compare.js';
import { engineCallLog, type Principal } from './engine-calls.js';
import {
  comparedPolicies,
  policiesFingerprint,
  recordLastCheck,
  sourcesFingerprint,
  type LastIamCheck,
} from './last-check.js';

export interface IamCheckOptions {
  projectDir: string;
  stage: string;
  mode?: Mode;
  /** The region `deploy --target aws` uses (its ARNs), when not the config's. */
  region?: string;
  orders: readonly ComparedOrder[];
  timeoutMs: number;
  concurrency?: number;
  progress?: (line: string) => void;
}

/** Why a granted permission was not used: not called by these orders, or not something a local run can show. */
export type UnusedReason = 'unused' | 'aws-side' | 'failure-path';

export interface IamCheckReport {
  app: string;
  stage: string;
  mode: Mode;
  region: string;
  /** The account in the ARNs: the local target's placeholder (`${account}` in a config fix). */
  account: string;
  checkedAt: string;
  /** No missing permission, and every order reached its outcome (so all its calls were seen). */
  passed: boolean;
  orders: Array<{ orderId: string; origin: string; status: string; error?: string }>;
  roles: Array<{
    principal: Principal;
    name: string;
    service: string;
    calls: Array<{ by: string; action: string; resource: string; count: number; allowed: boolean }>;
  }>;
  missing: Array<{
    principal: Principal;
    role: string;
    by: string;
    action: string;
    resource: string;
    /** The statement to add to the role's policy. */
    statement: MissingPermission['statement'];
    /** How to add it: the `functions.permissions` entry, or a report for fulfill's own policies. */
    fix: string;
  }>;
  unused: Array<{
    principal: Principal;
    role: string;
    sid?: string;
    action: string;
    resource: string;
    reason: UnusedReason;
    /** The statement to remove (for `reason: "unused"`). */
    statement: { Sid?: string; Effect: 'Allow'; Action: string; Resource: string; Condition?: Statement['Condition'] };
    fix: string;
  }>;
  fingerprint: { sources: string; policies: string };
  /** Where the result is kept for `deploy --target aws`. */
  savedIn: string;
}

// Statements fulfill generates for what AWS itself does with a role, which no local run shows (policies.ts):
// X-Ray trace upload and Step Functions log delivery; and the dead-letter send, which only a failure takes.
const AWS_SIDE_SIDS = new Set(['Tracing', 'LogDelivery']);
const FAILURE_PATH_SIDS = new Set(['AsyncFailures']);

/**
 * `fulfill iam check`: deploys the project to a throwaway local stage (`.fulfill/iam-check/<stage>/`, removed
 * afterwards) with the stage's own names, runs the orders there with each function's AWS SDK pointed at a call
 * recorder (`AWS_ENDPOINT_URL`; in events mode the bus keeps `AWS_ENDPOINT_URL_EVENTBRIDGE` and observes the
 * PutEvents itself), records what the engines do on the functions' behalf, and compares every call with the
 * policies `deploy --target aws` would create, per role. The result is kept for `deploy --target aws`.
 */
export async function runIamCheck(options: IamCheckOptions): Promise<IamCheckReport> {
  // No order, no call: a check that ran nothing would pass without having looked.
  if (options.orders.length === 0)
    throw new UserError('iam check needs at least one order', ['Pass --file or --order, or keep orders/*.json.']);
  const blueprint = loadBlueprint(options.projectDir, {
    stage: options.stage,
    ...(options.mode ? { mode: options.mode } : {}),
    ...(options.region ? { region: options.region } : {}),
  });
  const names = blueprint.names.inAccount(LOCAL_ACCOUNT_ID);
  const stateDir = join(blueprint.projectDir, STATE_DIR, 'iam-check', blueprint.stage);
  const log = engineCallLog(names);
  const recorder = createCallRecorder({ account: LOCAL_ACCOUNT_ID });
  const orders: IamCheckReport['orders'] = [];
  let bundles: Array<{ name: string; sha256: string }> | undefined;
  // Left by a run that was killed: start clean.
  rmSync(stateDir, { recursive: true, force: true });
  try {
    const { steps } = localDeploySteps(blueprint, { stateDir, allowCycles: true, allowFlowErrors: true });
    for (const step of steps) await step.run();
    const deployed = new LocalStore(blueprint.projectDir, blueprint.stage, stateDir);
    bundles = deployed.readDeployment()?.functions ?? [];
    deployed.close();
    options.progress?.(`deployed ${blueprint.mode} mode for the check in ${relative(blueprint.projectDir, stateDir)}`);
    const endpoints = new Map<string, string>();
    for (const h of blueprint.handlers) endpoints.set(h.name, await recorder.endpointFor(h.name));
    // Every endpoint override the user set goes to the recorder too (the bus's own wins in events mode), and
    // the SDK signs with placeholders: a check never reaches AWS or an emulator.
    const overrides = Object.keys(process.env).filter((key) => key.startsWith('AWS_ENDPOINT_URL_'));
    const sender = await localSender(blueprint.projectDir, blueprint.stage, {
      stateDir,
      observer: log.observer,
      recordFunctionLogs: false,
      functionEnvironment: (handler) => {
        const endpoint = endpoints.get(handler)!;
        return {
          ...Object.fromEntries(overrides.map((key) => [key, endpoint])),
          AWS_ENDPOINT_URL: endpoint,
          AWS_ACCESS_KEY_ID: 'fulfill-iam-check',
          AWS_SECRET_ACCESS_KEY: 'fulfill-iam-check',
          AWS_SESSION_TOKEN: '',
        };
      },
    });
    options.progress?.(`running ${options.orders.length} order(s)`);
    try {
      let next = 0;
      const results = new Map<string, IamCheckReport['orders'][number]>();
      await Promise.all(
        Array.from({ length: Math.min(options.concurrency ?? 4, options.orders.length) }, async () => {
          while (next < options.orders.length) {
            const { order, origin } = options.orders[next++];
            try {
              const sent = await sender.send(order, true, options.timeoutMs);
              results.set(order.orderId, {
                orderId: order.orderId,
                origin,
                status: sent.outcome?.status ?? 'NO_OUTCOME',
              });
            } catch (error) {
              results.set(order.orderId, {
                orderId: order.orderId,
                origin,
                status: 'NO_OUTCOME',
                error: (error as Error).message,
              });
            }
          }
        }),
      );
      orders.push(...options.orders.map(({ order }) => results.get(order.orderId)!));
    } finally {
      await sender.close();
    }
  } finally {
    await recorder.close();
    rmSync(stateDir, { recursive: true, force: true });
    // .fulfill/iam-check/ itself goes too once no other stage's check runs in it.
    if (existsSync(dirname(stateDir)) && readdirSync(dirname(stateDir)).length === 0) rmdirSync(dirname(stateDir));
  }
  for (const call of recorder.calls)
    log.add({ principal: 'functions', function: call.function, action: call.action, resource: call.resource });

  const configSids = new Map(
    Object.entries(blueprint.config.functions.permissions ?? {}).flatMap(([handler, entries]) =>
      entries.map((_, i) => [handlerPermissionSid(handler, i), handler] as const),
    ),
  );
  const report: IamCheckReport = {
    app: blueprint.config.app,
    stage: blueprint.stage,
    mode: blueprint.mode,
    region: blueprint.region,
    account: LOCAL_ACCOUNT_ID,
    checkedAt: new Date().toISOString(),
    passed: true,
    orders,
    roles: [],
    missing: [],
    unused: [],
    fingerprint: { sources: sourcesFingerprint(bundles ?? []), policies: policiesFingerprint(blueprint) },
    savedIn: `${STATE_DIR}/local/${blueprint.stage}/state.db`,
  };
  for (const role of comparedPolicies(blueprint)) {
    const calls = log.calls.filter((c) => c.principal === role.principal);
    const { missing, unused } = comparePolicy(calls, role.policy);
    // A call is denied when its action, resource and condition context match a missing one.
    const key = (c: { action: string; resource: string; context?: Readonly<Record<string, string>> }) =>
      JSON.stringify([c.action, c.resource, c.context?.['aws:SourceArn'] ?? null]);
    const denied = new Set(missing.map((m) => key({ ...m, context: sourceArnOf(m.statement) })));
    report.roles.push({
      principal: role.principal,
      name: role.name,
      service: role.service,
      calls: calls.map((c) => ({
        by: c.function,
        action: c.action,
        resource: c.resource,
        count: c.count,
        allowed: !denied.has(key(c)),
      })),
    });
    for (const m of missing) {
      report.missing.push({
        principal: role.principal,
        role: role.name,
        by: m.function,
        action: m.action,
        resource: m.resource,
        statement: m.statement,
        fix:
          role.principal === 'functions'
            ? `add to fulfill.config.json: "functions": { "permissions": { ${JSON.stringify(m.function)}: [${JSON.stringify(
                {
                  actions: [m.action],
                  resources: [m.resource.replaceAll(`:${LOCAL_ACCOUNT_ID}:`, ':${account}:')],
                },
              )}] } }`
            : `fulfill's generated ${role.name} policy lacks it: please report this with the --json output`,
      });
    }
    for (const u of unused) {
      const reason: UnusedReason = AWS_SIDE_SIDS.has(u.sid ?? '')
        ? 'aws-side'
        : FAILURE_PATH_SIDS.has(u.sid ?? '')
          ? 'failure-path'
          : 'unused';
      const fromConfig = u.sid === undefined ? undefined : configSids.get(u.sid);
      report.unused.push({
        principal: role.principal,
        role: role.name,
        ...(u.sid ? { sid: u.sid } : {}),
        action: u.action,
        resource: u.resource,
        reason,
        statement: {
          ...(u.sid ? { Sid: u.sid } : {}),
          Effect: 'Allow',
          Action: u.action,
          Resource: u.resource,
          ...(u.condition ? { Condition: u.condition } : {}),
        },
        fix:
          reason === 'aws-side'
            ? 'kept: AWS uses it with the role (X-Ray, log delivery), which a local run cannot show'
            : reason === 'failure-path'
              ? 'kept: used only when a delivery fails for good (dead letter); none did in this run'
              : fromConfig
                ? `remove it from "functions.permissions.${fromConfig}" in fulfill.config.json if no other path needs it`
                : 'generated by fulfill for the wiring; no order of this run took that path (add an order that does)',
      });
    }
  }
  const unfinished = orders.filter((o) => o.status === 'NO_OUTCOME').length;
  report.passed = report.missing.length === 0 && unfinished === 0;
  const first = report.missing[0];
  const kept: LastIamCheck = {
    checkedAt: report.checkedAt,
    mode: report.mode,
    region: report.region,
    sources: report.fingerprint.sources,
    policies: report.fingerprint.policies,
    passed: report.passed,
    missing: report.missing.length,
    unused: report.unused.filter((u) => u.reason === 'unused').length,
    ...(unfinished ? { unfinished } : {}),
    ...(first ? { firstMissing: `${first.by}: ${first.action} on ${first.resource}` } : {}),
  };
  recordLastCheck(blueprint.projectDir, blueprint.stage, kept);
  return report;
}

/** The `aws:SourceArn` a statement to add is conditioned on (EventBridge invoking a rule's target). */
function sourceArnOf(statement: MissingPermission['statement']): Record<string, string> | undefined {
  const arn = statement.Condition?.ArnLike?.['aws:SourceArn'];
  return typeof arn === 'string' ? { 'aws:SourceArn': arn } : undefined;
}
