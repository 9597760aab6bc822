import type { FakeAwsModel } from './model.js';
import { ACCOUNT, REGION, fail, page, type Handler } from './model.js';

/** CloudWatch Logs: log groups (retention, tags) and the account's resource policies. */
export function logsHandlers(model: FakeAwsModel): Record<string, Handler> {
  const s = model.state;
  const group = (name: string) =>
    s.logGroups[name] ?? fail('ResourceNotFoundException', 'The specified log group does not exist.');
  return {
    DescribeLogGroups: (i) => {
      const all = Object.entries(s.logGroups)
        .filter(([name]) =>
          i.logGroupNamePattern ? name.includes(i.logGroupNamePattern) : name.startsWith(i.logGroupNamePrefix ?? ''),
        )
        .sort(([a], [b]) => a.localeCompare(b))
        // CloudWatch Logs: with logGroupNamePattern only the name, ARN and creation time come back.
        .map(([logGroupName, g]) => ({
          logGroupName,
          arn: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${logGroupName}:*`,
          creationTime: 0,
          ...(i.logGroupNamePattern ? {} : { retentionInDays: g.retentionInDays }),
        }));
      return page(all, i.nextToken, i.limit ?? 50, 'logGroups', 'nextToken');
    },
    CreateLogGroup: (i) => {
      if (s.logGroups[i.logGroupName]) fail('ResourceAlreadyExistsException', 'The specified log group already exists');
      s.logGroups[i.logGroupName] = { tags: i.tags ?? {} };
    },
    PutRetentionPolicy: (i) => void (group(i.logGroupName).retentionInDays = i.retentionInDays),
    ListTagsForResource: (i) => ({
      tags: {
        ...group(
          String(i.resourceArn)
            .replace(/^arn:aws:logs:[^:]*:[^:]*:log-group:/, '')
            .replace(/:\*$/, ''),
        ).tags,
      },
    }),
    DeleteLogGroup: (i) => {
      group(i.logGroupName);
      delete s.logGroups[i.logGroupName];
    },
    DescribeResourcePolicies: () => ({
      resourcePolicies: Object.entries(s.logPolicies).map(([policyName, policyDocument]) => ({
        policyName,
        policyDocument,
        lastUpdatedTime: 0,
      })),
    }),
    PutResourcePolicy: (i) => {
      // CloudWatch Logs: at most 10 resource policies per account and region.
      if (!(i.policyName in s.logPolicies) && Object.keys(s.logPolicies).length >= 10)
        fail('LimitExceededException', 'Resource limit exceeded.');
      JSON.parse(i.policyDocument);
      s.logPolicies[i.policyName] = i.policyDocument;
      return { resourcePolicy: { policyName: i.policyName, policyDocument: i.policyDocument } };
    },
    DeleteResourcePolicy: (i) => {
      if (!(i.policyName in s.logPolicies))
        fail('ResourceNotFoundException', 'Policy with name [' + i.policyName + '] does not exist');
      delete s.logPolicies[i.policyName];
    },
  };
}
