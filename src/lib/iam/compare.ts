// Compares recorded calls with an IAM policy document: what would be denied on AWS (missing) and what is granted but
// was never used (unused). IAM's own evaluation, restricted to what fulfill generates: Allow statements with Action
// and Resource (strings or lists, `*` and `?` wildcards), no Deny, no NotAction, and conditions only on the request
// context a call carries (`ArnLike`/`ArnEquals`/`StringEquals`/`StringLike` on keys such as `aws:SourceArn`, as the
// EventBridge permissions on a function use). A condition on a key the call does not carry does not match, so a
// statement fulfill cannot evaluate never passes a call it should not.
import type { PolicyDocument } from '../aws/policies.js';

/** A call as IAM authorizes it. */
export interface PolicyCall {
  /** Who made it, for the report: a handler name, `Step Functions`, `API Gateway`, `rule <name>`. */
  function: string;
  action: string;
  resource: string;
  /** Condition keys of the request (`aws:SourceArn`, `aws:SourceAccount`), case-insensitive as in IAM. */
  context?: Readonly<Record<string, string>>;
}

export type Statement = PolicyDocument['Statement'][number];

export interface MissingPermission {
  function: string;
  action: string;
  resource: string;
  /** The statement to add. */
  statement: { Effect: 'Allow'; Action: string; Resource: string; Condition?: Statement['Condition'] };
}

export interface UnusedPermission {
  sid?: string;
  action: string;
  resource: string;
  /** The statement's condition, when it has one (the pair is granted only under it). */
  condition?: Statement['Condition'];
}

export function comparePolicy(
  calls: readonly PolicyCall[],
  policy: PolicyDocument,
): { missing: MissingPermission[]; unused: UnusedPermission[] } {
  const statements = policy.Statement.filter((s) => s.Effect === 'Allow').map((s) => ({
    sid: s.Sid,
    actions: list(s.Action),
    resources: list(s.Resource),
    condition: s.Condition,
  }));
  const grants = (s: (typeof statements)[number], action: string, resource: string, call: PolicyCall) =>
    wildcard(action, call.action) && wildcard(resource, call.resource) && conditionHolds(s.condition, call.context);
  const allowed = (call: PolicyCall) =>
    statements.some((s) => s.actions.some((a) => s.resources.some((r) => grants(s, a, r, call))));
  const missing: MissingPermission[] = [];
  const seen = new Set<string>();
  for (const call of calls) {
    const key = `${call.action}\u0000${call.resource}\u0000${JSON.stringify(call.context ?? {})}`;
    if (seen.has(key) || allowed(call)) continue;
    seen.add(key);
    missing.push({
      function: call.function,
      action: call.action,
      resource: call.resource,
      statement: {
        Effect: 'Allow',
        Action: call.action,
        Resource: call.resource,
        ...(call.context?.['aws:SourceArn']
          ? { Condition: { ArnLike: { 'aws:SourceArn': call.context['aws:SourceArn'] } } }
          : {}),
      },
    });
  }
  const unused: UnusedPermission[] = [];
  for (const s of statements) {
    for (const action of s.actions) {
      for (const resource of s.resources) {
        if (!calls.some((c) => grants(s, action, resource, c)))
          unused.push({
            ...(s.sid ? { sid: s.sid } : {}),
            action,
            resource,
            ...(s.condition ? { condition: s.condition } : {}),
          });
      }
    }
  }
  return { missing, unused };
}

function list(value: string | string[] | undefined): string[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

const OPERATORS: Record<string, (pattern: string, value: string) => boolean> = {
  ArnLike: (p, v) => wildcard(p, v),
  ArnEquals: (p, v) => p === v,
  StringLike: (p, v) => wildcard(p, v),
  StringEquals: (p, v) => p === v,
};

/** Every operator and key must hold (IAM ANDs them); any value of a key's list may match (IAM ORs those). */
function conditionHolds(condition: Statement['Condition'], context: PolicyCall['context'] = {}): boolean {
  if (!condition) return true;
  const keyed = new Map(Object.entries(context).map(([k, v]) => [k.toLowerCase(), v]));
  return Object.entries(condition).every(([operator, keys]) => {
    const test = OPERATORS[operator];
    if (!test) return false;
    return Object.entries(keys).every(([key, values]) => {
      const value = keyed.get(key.toLowerCase());
      return value !== undefined && list(values).some((pattern) => test(pattern, value));
    });
  });
}

/** IAM wildcards: `*` any run of characters, `?` one; actions compare case-insensitively, as IAM does. */
export function wildcard(pattern: string, value: string): boolean {
  const regex = new RegExp(
    `^${pattern
      .split('')
      .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
      .join('')}$`,
    pattern.includes(':') && !pattern.startsWith('arn:') ? 'i' : '',
  );
  return regex.test(value);
}
