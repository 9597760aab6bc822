// The last `fulfill iam check` of a stage, kept with the stage's local state (`meta` row `iam-check` in
// .fulfill/local/<stage>/state.db), so that `deploy --target aws` can say when it is missing, stale or failed.
import type { Blueprint } from '../blueprint/blueprint.js';
import { fingerprint } from '../blueprint/blueprint.js';
import { LOCAL_ACCOUNT_ID } from '../blueprint/naming.js';
import { eventBridgeInvokePolicy, roleSpecs, type PolicyDocument } from '../aws/policies.js';
import type { Mode } from '../config/schema.js';
import { LocalStore } from '../local/store.js';
import type { Principal } from './engine-calls.js';

export const LAST_CHECK_KEY = 'iam-check';

/** What is kept of a check: small, one row. */
export interface LastIamCheck {
  checkedAt: string;
  mode: Mode;
  region: string;
  /** Hash of the handler bundles (name and SHA-256 of each). */
  sources: string;
  /** Hash of the policies compared (the roles and EventBridge's permissions on the functions). */
  policies: string;
  passed: boolean;
  missing: number;
  unused: number;
  /** Orders without an outcome within --timeout: their later calls were not seen. */
  unfinished?: number;
  /** The first missing permission, for the deploy warning: `authorize-payment: dynamodb:GetItem on arn:...`. */
  firstMissing?: string;
}

export interface ComparedPolicy {
  principal: Principal;
  /** The role's name, or what the resource-based statements are. */
  name: string;
  /** The service principal that uses it. */
  service: string;
  policy: PolicyDocument;
}

/**
 * The policies `deploy --target aws` would create for the blueprint, with ARNs in the local account (as the
 * local run's calls name them): the roles, and in events mode EventBridge's permissions on the functions.
 */
export function comparedPolicies(blueprint: Blueprint): ComparedPolicy[] {
  const names = blueprint.names.inAccount(LOCAL_ACCOUNT_ID);
  const roles: ComparedPolicy[] = roleSpecs(blueprint, names).map((r) => ({
    principal: r.kind,
    name: r.name,
    service: r.service,
    policy: r.policy,
  }));
  if (blueprint.mode === 'events') {
    roles.push({
      principal: 'events',
      name: `EventBridge permissions on the functions (${names.prefix}*)`,
      service: 'events.amazonaws.com',
      policy: eventBridgeInvokePolicy(blueprint, names),
    });
  }
  return roles;
}

export function policiesFingerprint(blueprint: Blueprint): string {
  return fingerprint(comparedPolicies(blueprint).map((p) => [p.principal, p.policy]));
}

export function sourcesFingerprint(bundles: ReadonlyArray<{ name: string; sha256: string }>): string {
  return fingerprint(bundles.map((b) => [b.name, b.sha256]).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

export function recordLastCheck(projectDir: string, stage: string, check: LastIamCheck): void {
  const store = new LocalStore(projectDir, stage);
  try {
    store.writeMeta(LAST_CHECK_KEY, JSON.stringify(check));
  } finally {
    store.close();
  }
}

export function readLastCheck(projectDir: string, stage: string): LastIamCheck | undefined {
  const store = new LocalStore(projectDir, stage);
  try {
    const value = store.readMeta(LAST_CHECK_KEY);
    return value === undefined ? undefined : (JSON.parse(value) as LastIamCheck);
  } finally {
    store.close();
  }
}

/**
 * `deploy --target aws`'s warning about the last check of this stage: missing, stale (the handler bundles, the
 * mode, the region or the policies changed since), or failed; undefined when it passed for what is deployed now.
 * Never throws: a deploy does not fail because its check cannot be read.
 */
export function lastCheckWarning(
  blueprint: Blueprint,
  bundles: ReadonlyArray<{ name: string; sha256: string }>,
): string | undefined {
  const run = `run \`fulfill iam check${blueprint.stage === blueprint.config.stage ? '' : ` --stage ${blueprint.stage}`}${
    blueprint.mode === blueprint.config.mode ? '' : ` --mode ${blueprint.mode}`
  }\``;
  let last: LastIamCheck | undefined;
  try {
    last = readLastCheck(blueprint.projectDir, blueprint.stage);
  } catch (error) {
    return `iam check: the last check of stage "${blueprint.stage}" cannot be read (${(error as Error).message}); ${run}`;
  }
  if (!last)
    return `iam check: stage "${blueprint.stage}" has no recorded check, so the handlers' AWS calls are not checked against its policies; ${run}`;
  const changed = [
    ...(last.mode !== blueprint.mode ? [`it checked ${last.mode} mode`] : []),
    ...(last.region !== blueprint.region ? [`it checked region ${last.region}`] : []),
    ...(last.sources !== sourcesFingerprint(bundles) ? ['the handlers changed since'] : []),
    ...(last.policies !== policiesFingerprint(blueprint) ? ['the policies changed since'] : []),
  ];
  if (changed.length > 0)
    return `iam check: the last check (${last.checkedAt}) is stale: ${changed.join(', ')}; ${run}`;
  if (!last.passed && last.missing === 0)
    return `iam check: the last check (${last.checkedAt}) was incomplete: ${last.unfinished ?? 0} order(s) got no outcome; ${run}`;
  if (!last.passed)
    return `iam check: the last check (${last.checkedAt}) failed: ${last.missing} missing permission(s)${
      last.firstMissing ? `, first ${last.firstMissing}` : ''
    }; those calls will be denied on AWS`;
  return undefined;
}
