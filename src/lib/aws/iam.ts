import { CreateRoleCommand, DeleteRoleCommand, DeleteRolePolicyCommand, GetRoleCommand, GetRolePolicyCommand, PutRolePolicyCommand, UpdateAssumeRolePolicyCommand } from '@aws-sdk/client-iam';
import type { DeployChange } from '../deploy/result.js';
import { apply, findOrUndefined, isNotFound, tagList, unchanged, type AwsContext } from './context.js';
import type { PolicyDocument, RoleSpec } from './policies.js';

/** The name of the one inline policy fulfill puts on each of its roles. */
export const INLINE_POLICY = 'fulfill';

export function roleArn(ctx: Pick<AwsContext, 'account'>, name: string): string {
  return `arn:aws:iam::${ctx.account}:role/${name}`;
}

/**
 * A role with its trust policy and its inline policy, as one change. Created roles get both in a row (no
 * read-back); existing ones are compared document by document and only what differs is written.
 */
export async function ensureRole(ctx: AwsContext, want: RoleSpec): Promise<DeployChange> {
  const { iam } = ctx.clients;
  const role = (await findOrUndefined(() => iam.send(new GetRoleCommand({ RoleName: want.name }))))?.Role;
  const putPolicy = () => iam.send(new PutRolePolicyCommand({ RoleName: want.name, PolicyName: INLINE_POLICY, PolicyDocument: JSON.stringify(want.policy) }));
  if (!role) {
    const change: DeployChange = { resource: want.name, kind: 'role', action: 'created' };
    await apply(ctx, change, async () => {
      await iam.send(new CreateRoleCommand({ RoleName: want.name, AssumeRolePolicyDocument: JSON.stringify(want.trust), Description: `fulfill: ${want.kind} role of ${ctx.tags['fulfill:app']}/${ctx.tags['fulfill:stage']}`, Tags: tagList(ctx) }));
      await putPolicy();
    });
    return change;
  }
  const current = (await findOrUndefined(() => iam.send(new GetRolePolicyCommand({ RoleName: want.name, PolicyName: INLINE_POLICY }))))?.PolicyDocument;
  const trustChanged = !samePolicy(role.AssumeRolePolicyDocument, want.trust);
  const policyChanged = !samePolicy(current, want.policy);
  if (!trustChanged && !policyChanged) return unchanged(ctx, 'role', want.name);
  const change: DeployChange = { resource: want.name, kind: 'role', action: 'updated', why: [...(trustChanged ? ['trust policy changed'] : []), ...(policyChanged ? [current === undefined ? 'inline policy missing' : 'permissions changed'] : [])] };
  await apply(ctx, change, async () => {
    if (trustChanged) await iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: want.name, PolicyDocument: JSON.stringify(want.trust) }));
    if (policyChanged) await putPolicy();
  });
  return change;
}

/** Deletes a role and its inline policy if they exist (mode switch, destroy). */
export async function deleteRole(ctx: AwsContext, name: string): Promise<void> {
  const { iam } = ctx.clients;
  if (!(await findOrUndefined(() => iam.send(new GetRoleCommand({ RoleName: name }))))) return;
  await apply(ctx, { resource: name, kind: 'role', action: 'deleted' }, async () => {
    try {
      await iam.send(new DeleteRolePolicyCommand({ RoleName: name, PolicyName: INLINE_POLICY }));
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
    await iam.send(new DeleteRoleCommand({ RoleName: name }));
  });
}

/** IAM returns documents URL-encoded: compare parsed JSON, keys in any order. */
export function samePolicy(current: string | undefined, want: PolicyDocument): boolean {
  if (current === undefined) return false;
  try {
    return canonical(JSON.parse(decodeURIComponent(current))) === canonical(want);
  } catch {
    return false;
  }
}

/** JSON with object keys sorted: equal documents give equal strings. */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value as object)
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}
