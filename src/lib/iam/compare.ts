// Compares recorded calls with an IAM policy document: what would be denied on AWS (missing) and what is granted but
// was never used (unused). IAM's own evaluation, restricted to what fulfill generates: Allow statements with Action
// and Resource (strings or lists, `*` and `?` wildcards), no Deny, no NotAction, no conditions.
import type { PolicyDocument } from '../aws/policies.js';
import type { RecordedCall } from './call-recorder.js';

export interface MissingPermission {
  function: string;
  action: string;
  resource: string;
  /** The statement to add. */
  statement: { Effect: 'Allow'; Action: string; Resource: string };
}

export interface UnusedPermission {
  sid?: string;
  action: string;
  resource: string;
}

export function comparePolicy(
  calls: readonly RecordedCall[],
  policy: PolicyDocument,
): { missing: MissingPermission[]; unused: UnusedPermission[] } {
  const statements = policy.Statement.filter((s) => s.Effect === 'Allow').map((s) => ({
    sid: s.Sid,
    actions: list(s.Action),
    resources: list(s.Resource),
  }));
  const allowed = (action: string, resource: string) =>
    statements.some(
      (s) => s.actions.some((a) => wildcard(a, action)) && s.resources.some((r) => wildcard(r, resource)),
    );
  const missing: MissingPermission[] = [];
  const seen = new Set<string>();
  for (const call of calls) {
    const key = `${call.action}\u0000${call.resource}`;
    if (seen.has(key) || allowed(call.action, call.resource)) continue;
    seen.add(key);
    missing.push({
      function: call.function,
      action: call.action,
      resource: call.resource,
      statement: { Effect: 'Allow', Action: call.action, Resource: call.resource },
    });
  }
  const unused: UnusedPermission[] = [];
  for (const s of statements) {
    for (const action of s.actions) {
      for (const resource of s.resources) {
        if (!calls.some((c) => wildcard(action, c.action) && wildcard(resource, c.resource)))
          unused.push({ ...(s.sid ? { sid: s.sid } : {}), action, resource });
      }
    }
  }
  return { missing, unused };
}

function list(value: string | string[] | undefined): string[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

/** IAM wildcards: `*` any run of characters, `?` one; actions compare case-insensitively, as IAM does. */
function wildcard(pattern: string, value: string): boolean {
  const regex = new RegExp(
    `^${pattern
      .split('')
      .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
      .join('')}$`,
    pattern.includes(':') && !pattern.startsWith('arn:') ? 'i' : '',
  );
  return regex.test(value);
}
