import { afterAll, describe, expect, it } from '@jest/globals';
import type { PolicyDocument } from '../../../../src/lib/aws/policies.js';
import { FakeAws } from '../../../helpers/fake-aws.js';
import { deploy, inputs, projects } from '../support.js';

// The policy check, over every IAM document the deployer actually sent in a first deploy and a mode switch
// of each mode: role trust and permission policies, the queue policy, the CloudWatch Logs resource policy.

const dirs = projects();
afterAll(() => dirs.cleanup());

const sent: Array<[string, 'trust' | 'permissions', PolicyDocument]> = [];
const permissions: Array<Record<string, unknown>> = [];
for (const [first, second] of [
  ['orchestration', 'events'],
  ['events', 'orchestration'],
] as const) {
  const fake = new FakeAws();
  const dir = dirs.make(first);
  await deploy(fake, dir, { mode: first });
  await deploy(fake, dir, { mode: second });
  const doc = (text: string) => JSON.parse(decodeURIComponent(text)) as PolicyDocument;
  for (const i of inputs(fake, 'CreateRole'))
    sent.push([`${first}->${second} CreateRole ${i.RoleName}`, 'trust', doc(i.AssumeRolePolicyDocument)]);
  for (const i of inputs(fake, 'UpdateAssumeRolePolicy'))
    sent.push([`${first}->${second} UpdateAssumeRolePolicy ${i.RoleName}`, 'trust', doc(i.PolicyDocument)]);
  for (const i of inputs(fake, 'PutRolePolicy'))
    sent.push([`${first}->${second} PutRolePolicy ${i.RoleName}`, 'permissions', doc(i.PolicyDocument)]);
  for (const i of [...inputs(fake, 'CreateQueue'), ...inputs(fake, 'SetQueueAttributes')])
    sent.push([`${first}->${second} queue policy`, 'permissions', doc(i.Attributes.Policy)]);
  for (const i of inputs(fake, 'PutResourcePolicy'))
    sent.push([`${first}->${second} logs resource policy ${i.policyName}`, 'permissions', doc(i.policyDocument)]);
  permissions.push(...inputs(fake, 'AddPermission'));
}

describe('policy check: every IAM document the deployer sends', () => {
  it('covers roles, trust policies and resource policies of both modes', () => {
    // Three roles in orchestration mode, two in events mode; each switch adds the other mode's.
    expect(sent.filter(([, kind]) => kind === 'trust')).toHaveLength(6);
    expect(sent.length).toBeGreaterThan(12);
  });

  it.each(sent)('%s: no statement has a "*" in its action', (_name, _kind, document) => {
    expect(document.Version).toBe('2012-10-17');
    for (const statement of document.Statement)
      expect([statement.Action].flat().filter((a) => a.includes('*'))).toEqual([]);
  });

  it.each(sent.filter(([, kind]) => kind === 'trust'))(
    '%s: one service principal, assume-role only, with an aws:SourceAccount condition',
    (_name, _kind, document) => {
      for (const statement of document.Statement) {
        expect(Object.keys(statement.Principal ?? {})).toEqual(['Service']);
        expect(statement.Action).toBe('sts:AssumeRole');
        expect(statement.Condition?.StringEquals?.['aws:SourceAccount']).toMatch(/^\d{12}$/);
      }
    },
  );

  it.each(sent.filter(([, kind]) => kind === 'permissions'))(
    '%s: a "*" resource only where AWS requires it (X-Ray, log delivery)',
    (_name, _kind, document) => {
      for (const statement of document.Statement) {
        if ([statement.Resource].flat().includes('*')) expect(['Tracing', 'LogDelivery']).toContain(statement.Sid);
        // Resource policies (a Principal) are scoped to the source: a rule or the app's rules.
        if (statement.Principal)
          expect(Object.keys(Object.values(statement.Condition ?? {})[0] ?? {})).toEqual(['aws:SourceArn']);
      }
    },
  );

  it('every Lambda permission for EventBridge names the rule (SourceArn) and the account (SourceAccount)', () => {
    expect(permissions.length).toBeGreaterThan(0);
    for (const p of permissions)
      expect(p).toMatchObject({
        Principal: 'events.amazonaws.com',
        Action: 'lambda:InvokeFunction',
        SourceArn: expect.stringMatching(/^arn:aws:events:[^:]+:\d{12}:rule\/fulfill-shop-ci-bus\/fulfill-shop-ci-/),
        SourceAccount: expect.stringMatching(/^\d{12}$/),
      });
  });
});
