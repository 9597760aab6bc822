import type { FakeAwsModel } from './model.js';
import { ACCOUNT, fail, type Any, type FakeState, type Handler } from './model.js';

/** IAM: roles with trust policy, tags and inline policies. */
export function iamHandlers(model: FakeAwsModel): Record<string, Handler> {
  const s = model.state;
  const role = (name: string) =>
    s.roles[name] ?? fail('NoSuchEntityException', `The role with name ${name} cannot be found.`, 404);
  return {
    GetRole: (i) => ({
      Role: {
        RoleName: i.RoleName,
        Arn: roleArn(i.RoleName),
        AssumeRolePolicyDocument: encodeURIComponent(role(i.RoleName).trust),
        Tags: role(i.RoleName).tags,
      },
    }),
    CreateRole: (i) => {
      if (s.roles[i.RoleName])
        fail('EntityAlreadyExistsException', `Role with name ${i.RoleName} already exists.`, 409);
      s.roles[i.RoleName] = { trust: i.AssumeRolePolicyDocument, tags: i.Tags ?? [], policies: {} };
      return { Role: { RoleName: i.RoleName, Arn: roleArn(i.RoleName) } };
    },
    UpdateAssumeRolePolicy: (i) => void (role(i.RoleName).trust = i.PolicyDocument),
    // IAM returns policy documents URL-encoded.
    GetRolePolicy: (i) => {
      const doc =
        role(i.RoleName).policies[i.PolicyName] ??
        fail('NoSuchEntityException', `The role policy with name ${i.PolicyName} cannot be found.`, 404);
      return { RoleName: i.RoleName, PolicyName: i.PolicyName, PolicyDocument: encodeURIComponent(doc) };
    },
    PutRolePolicy: (i) => void (role(i.RoleName).policies[i.PolicyName] = i.PolicyDocument),
    DeleteRolePolicy: (i) => {
      if (!(i.PolicyName in role(i.RoleName).policies))
        fail('NoSuchEntityException', `The role policy with name ${i.PolicyName} cannot be found.`, 404);
      delete role(i.RoleName).policies[i.PolicyName];
    },
    DeleteRole: (i) => {
      if (Object.keys(role(i.RoleName).policies).length)
        fail('DeleteConflictException', 'Cannot delete entity, must delete policies first.', 409);
      delete s.roles[i.RoleName];
    },
  };
}

/** Whether `roleArn` names an existing role whose trust policy lets `service` assume it. */
export function assumable(state: FakeState, roleArnValue: string, service: string): boolean {
  const role = state.roles[String(roleArnValue).split('/').at(-1)!];
  if (!role) return false;
  const trust = JSON.parse(role.trust) as { Statement: Any[] };
  return trust.Statement.some(
    (st) =>
      st.Effect === 'Allow' &&
      [st.Principal?.Service].flat().includes(service) &&
      [st.Action].flat().includes('sts:AssumeRole'),
  );
}

/** Whether the role's inline policies allow `action` on `resource` (exact resource or `*`, as the deployer writes them). */
export function allows(state: FakeState, roleArnValue: string, action: string, resource: string): boolean {
  const role = state.roles[String(roleArnValue).split('/').at(-1)!];
  return Object.values(role?.policies ?? {}).some((doc) =>
    (JSON.parse(doc) as { Statement: Any[] }).Statement.some(
      (st) =>
        st.Effect === 'Allow' &&
        [st.Action].flat().includes(action) &&
        [st.Resource].flat().some((r) => r === resource || r === '*'),
    ),
  );
}

export function roleArn(name: string): string {
  return `arn:aws:iam::${ACCOUNT}:role/${name}`;
}
