import {
  CreateRoleCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  PutRolePolicyCommand,
  UpdateAssumeRolePolicyCommand,
} from '@aws-sdk/client-iam';
import type { DeployChange } from '../deploy/result.js';
import { canonical } from '../json.js';
import { apply, ignoreNotFound, tagList, unchanged, type AwsContext } from './context.js';
import { mayDelete } from './ownership.js';
import type { PolicyDocument, RoleSpec } from './policies.js';

/** The name of the one inline policy fulfill puts on each of its roles. */
export const INLINE_POLICY = 'fulfill';

/**
 * A role with its trust policy and its inline policy, as one change. Created roles get both in a row (no
 * read-back); existing ones are compared document by document and only what differs is written.
 */
export async function ensureRole(ctx: AwsContext, want: RoleSpec): Promise<DeployChange> {
  const { iam } = ctx.clients;
  const role = (await ignoreNotFound(() => iam.send(new GetRoleCommand({ RoleName: want.name }))))?.Role;
  const putPolicy = () =>
    iam.send(
      new PutRolePolicyCommand({
        RoleName: want.name,
        PolicyName: INLINE_POLICY,
        PolicyDocument: JSON.stringify(want.policy),
      }),
    );
  if (!role) {
    const change: DeployChange = { resource: want.name, kind: 'role', action: 'created' };
    await apply(ctx, change, async () => {
      await iam.send(
        new CreateRoleCommand({
          RoleName: want.name,
          AssumeRolePolicyDocument: JSON.stringify(want.trust),
          Description: `fulfill: ${want.kind} role of ${ctx.tags['fulfill:app']}/${ctx.tags['fulfill:stage']}`,
          Tags: tagList(ctx),
        }),
      );
      await putPolicy();
    });
    return change;
  }
  const current = (
    await ignoreNotFound(() => iam.send(new GetRolePolicyCommand({ RoleName: want.name, PolicyName: INLINE_POLICY })))
  )?.PolicyDocument;
  const trustChanged = !samePolicy(role.AssumeRolePolicyDocument, want.trust);
  const policyChanged = !samePolicy(current, want.policy);
  if (!trustChanged && !policyChanged) return unchanged(ctx, 'role', want.name);
  const change: DeployChange = {
    resource: want.name,
    kind: 'role',
    action: 'updated',
    why: [
      ...(trustChanged ? ['trust policy changed'] : []),
      ...(policyChanged ? [current === undefined ? 'inline policy missing' : 'permissions changed'] : []),
    ],
  };
  await apply(ctx, change, async () => {
    if (trustChanged)
      await iam.send(
        new UpdateAssumeRolePolicyCommand({ RoleName: want.name, PolicyDocument: JSON.stringify(want.trust) }),
      );
    if (policyChanged) await putPolicy();
  });
  return change;
}

/** Deletes a role of this stage and its inline policy (mode switch, destroy); a role without its tags stays. */
export async function deleteRole(ctx: AwsContext, name: string): Promise<void> {
  const { iam } = ctx.clients;
  const role = (await ignoreNotFound(() => iam.send(new GetRoleCommand({ RoleName: name }))))?.Role;
  if (!role || !mayDelete(ctx, name, role.Tags)) return;
  await apply(ctx, { resource: name, kind: 'role', action: 'deleted' }, async () => {
    await ignoreNotFound(() => iam.send(new DeleteRolePolicyCommand({ RoleName: name, PolicyName: INLINE_POLICY })));
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
