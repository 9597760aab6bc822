import { CreateRoleCommand, DeleteRoleCommand, DeleteRolePolicyCommand, GetRoleCommand, GetRolePolicyCommand, PutRolePolicyCommand, UpdateAssumeRolePolicyCommand, type Role } from '@aws-sdk/client-iam';
import { apply, isNotFound, unchanged, type AwsContext } from './context.js';
import type { PolicyDocument, RoleSpec } from './policies.js';

export const INLINE_POLICY = 'fulfill';

/** Ensures a role with its trust policy and one inline policy; returns its ARN. */
export async function ensureRole(ctx: AwsContext, want: RoleSpec): Promise<string> {
  const { iam } = ctx.clients;
  const arn = `arn:aws:iam::${ctx.account}:role/${want.name}`;
  let role: Role | undefined;
  try {
    role = (await iam.send(new GetRoleCommand({ RoleName: want.name }))).Role;
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
  const why: string[] = [];
  if (!role) {
    await apply(ctx, { resource: want.name, kind: 'role', action: 'created' }, () =>
      iam.send(
        new CreateRoleCommand({
          RoleName: want.name,
          AssumeRolePolicyDocument: JSON.stringify(want.trust),
          Description: `fulfill ${want.kind} role`,
          Tags: Object.entries(ctx.tags).map(([Key, Value]) => ({ Key, Value })),
        }),
      ),
    );
  } else if (!samePolicy(role.AssumeRolePolicyDocument, want.trust)) {
    why.push('trust policy changed');
    await apply(ctx, { resource: want.name, kind: 'role', action: 'updated', why: ['trust policy changed'] }, () =>
      iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: want.name, PolicyDocument: JSON.stringify(want.trust) })),
    );
  }
  let current: string | undefined;
  if (role) {
    try {
      current = (await iam.send(new GetRolePolicyCommand({ RoleName: want.name, PolicyName: INLINE_POLICY }))).PolicyDocument;
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }
  if (!samePolicy(current, want.policy)) {
    await apply(ctx, { resource: `${want.name}/${INLINE_POLICY}`, kind: 'policy', action: current === undefined ? 'created' : 'updated', ...(current ? { why: ['permissions changed'] } : {}) }, () =>
      iam.send(new PutRolePolicyCommand({ RoleName: want.name, PolicyName: INLINE_POLICY, PolicyDocument: JSON.stringify(want.policy) })),
    );
  } else if (role && why.length === 0) {
    unchanged(ctx, 'role', want.name);
  }
  return arn;
}

/** Deletes a role and its inline policy if they exist (mode switch, destroy). */
export async function deleteRole(ctx: AwsContext, name: string): Promise<void> {
  const { iam } = ctx.clients;
  try {
    await iam.send(new GetRoleCommand({ RoleName: name }));
  } catch (error) {
    if (isNotFound(error)) return;
    throw error;
  }
  await apply(ctx, { resource: name, kind: 'role', action: 'deleted' }, async () => {
    try {
      await iam.send(new DeleteRolePolicyCommand({ RoleName: name, PolicyName: INLINE_POLICY }));
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
    await iam.send(new DeleteRoleCommand({ RoleName: name }));
  });
}

/** IAM returns documents URL-encoded and may reorder nothing we care about: compare parsed JSON. */
export function samePolicy(current: string | undefined, want: PolicyDocument): boolean {
  if (current === undefined) return false;
  try {
    return canonical(JSON.parse(decodeURIComponent(current))) === canonical(want);
  } catch {
    return false;
  }
}

export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value as object)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}
