import { UserError } from '../../../../src/lib/errors.js';
import { describe, expect, it } from '@jest/globals';
import { deployFailure, isRoleNotReady } from '../../../../src/lib/aws/context.js';
import type { DeployChange } from '../../../../src/lib/deploy/result.js';
import { awsError } from '../../../helpers/fake-aws/model.js';

const network = (code: string, message: string) =>
  Object.assign(new Error(message), { code, $metadata: { attempts: 6, totalRetryDelay: 3000 } });
const done: DeployChange[] = [
  { resource: 'fulfill-shop-ci-functions-role', kind: 'role', action: 'created' },
  { resource: 'fulfill-shop-ci-bus', kind: 'event-bus', action: 'unchanged' },
  { resource: 'fulfill-shop-ci-calculate-fee', kind: 'function', action: 'created', why: ['incomplete'] },
];

describe('an AWS failure is one line the user can act on', () => {
  it.each([
    [
      'missing credentials',
      Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }),
      'AwsCredentials',
      /^no AWS credentials found \(/,
    ],
    [
      'expired session',
      awsError('ExpiredTokenException', 'The security token included in the request is expired', 403),
      'AwsCredentials',
      /^AWS rejected the credentials \(ExpiredTokenException\): The security token included in the request is expired\./,
    ],
    ['no region', new Error('Region is missing'), 'AwsRegion', /^no AWS region: /],
    [
      'IAM access denied',
      awsError(
        'AccessDenied',
        'User: arn:aws:sts::123456789012:assumed-role/ci/session is not authorized to perform: iam:CreateRole on resource: arn:aws:iam::123456789012:role/fulfill-shop-ci-api-role because no identity-based policy allows the iam:CreateRole action',
        403,
      ),
      'AwsAccessDenied',
      /^access denied: arn:aws:sts::123456789012:assumed-role\/ci\/session may not call iam:CreateRole on arn:aws:iam::123456789012:role\/fulfill-shop-ci-api-role\. /,
    ],
    [
      'access denied without a resource',
      awsError(
        'AccessDeniedException',
        'User: arn:aws:iam::123456789012:user/ci is not authorized to perform: logs:DescribeResourcePolicies',
        400,
      ),
      'AwsAccessDenied',
      /^access denied: arn:aws:iam::123456789012:user\/ci may not call logs:DescribeResourcePolicies\. /,
    ],
    [
      'a quota',
      awsError('LimitExceededException', 'Resource limit exceeded.'),
      'AwsQuota',
      /^AWS quota reached \(LimitExceededException\): Resource limit exceeded\. /,
    ],
    [
      'throttled beyond the retries',
      awsError('ThrottlingException', 'Rate exceeded'),
      'AwsQuota',
      /^AWS kept throttling the deploy \(ThrottlingException\) after retries: Rate exceeded\. /,
    ],
    [
      'an unreachable endpoint',
      network('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:9'),
      'AwsError',
      /^AWS endpoint unreachable: connect ECONNREFUSED 127\.0\.0\.1:9\. /,
    ],
    [
      'anything else',
      awsError('InternalFailure', 'We encountered an internal error.\nPlease try again.', 500),
      'AwsError',
      /^AWS InternalFailure: We encountered an internal error\. /,
    ],
  ])('%s', (_name, error, code, message) => {
    const failure = deployFailure(error, { changes: done }, 'fulfill deploy --target aws') as UserError;
    expect(failure.exit).toBe(3);
    expect(failure.code).toBe(code);
    expect(failure.message).toMatch(message);
    expect(failure.message).not.toContain('\n');
    expect(failure.message).toMatch(/ 2 changes were made before the failure \(listed below\)\.$/);
    expect(failure.suggestions).toContain(
      'Done before the failure: created role fulfill-shop-ci-functions-role, created function fulfill-shop-ci-calculate-fee (incomplete).',
    );
    expect(failure.suggestions.at(-1)).toBe(
      'Fix the cause and run `fulfill deploy --target aws` again: it converges, picking up where this run stopped.',
    );
  });

  it('an error AWS did not send (a TypeError, the dry-run guard) is a bug: returned as it is, exit 70', () => {
    const bug = new TypeError("Cannot read properties of undefined (reading 'Arn')");
    expect(deployFailure(bug, { changes: done })).toBe(bug);
    expect(deployFailure(bug, { changes: done })).not.toBeInstanceOf(UserError);
  });

  it('says so when nothing was changed', () => {
    expect(deployFailure(network('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:9'), { changes: [] }).message).toBe(
      'AWS endpoint unreachable: connect ECONNREFUSED 127.0.0.1:9. Nothing was changed.',
    );
  });
});

describe('"role not assumable yet" is recognised exactly', () => {
  it.each([
    [
      awsError('InvalidParameterValueException', 'The role defined for the function cannot be assumed by Lambda.'),
      true,
    ],
    [
      awsError(
        'InvalidParameterValueException',
        'The provided execution role does not have permissions to call SendMessage on SQS',
      ),
      true,
    ],
    [
      awsError(
        'AccessDeniedException',
        'Neither the global service principal states.amazonaws.com, nor the regional one is authorized to assume the provided role.',
      ),
      true,
    ],
    [
      awsError('AccessDeniedException', 'The state machine IAM Role is not authorized to access the Log Destination'),
      true,
    ],
    [awsError('InvalidParameterValueException', 'Unzipped size must be smaller than 262144000 bytes'), false],
    [
      awsError(
        'AccessDeniedException',
        'User: arn:aws:iam::1:user/ci is not authorized to perform: states:CreateStateMachine',
      ),
      false,
    ],
    [awsError('ThrottlingException', 'Rate exceeded'), false],
  ])('%p -> %p', (error, expected) => {
    expect(isRoleNotReady(error)).toBe(expected);
  });
});
