import { readFileSync } from 'node:fs';
import type { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { IAMClient } from '@aws-sdk/client-iam';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import type { SFNClient } from '@aws-sdk/client-sfn';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { STSClient } from '@aws-sdk/client-sts';
import { ExitCode, UserError } from '../errors.js';

export interface AwsClients {
  iam: IAMClient;
  lambda: LambdaClient;
  sfn: SFNClient;
  events: EventBridgeClient;
  sqs: SQSClient;
  logs: CloudWatchLogsClient;
  apigw: APIGatewayClient;
  sts: STSClient;
  /** Resource Groups Tagging API: what the stage owns, found by its tags. */
  tagging: ResourceGroupsTaggingAPIClient;
}

export interface AwsOptions {
  region: string;
  /** A named profile of the shared config/credentials files (else AWS_PROFILE, else the default chain). */
  profile?: string;
  /** AWS_ENDPOINT_URL / --endpoint-url: one endpoint for every service (a local AWS emulator). */
  endpointUrl?: string;
}

/** `fulfill/<version>`, appended to the SDK's user agent so AWS-side logs (CloudTrail) show the tool. */
export const USER_AGENT = `fulfill/${packageVersion()}`;

/** Retries per call (first attempt included): the SDK retries throttling, 5xx and network errors. */
export const MAX_ATTEMPTS = 6;

/**
 * One configuration for every client: region, credentials from the standard chain (honouring the profile),
 * the endpoint override, adaptive retries (client-side rate limiting on throttling), and a user agent naming
 * the tool. The SDK packages are imported here, lazily, so commands that never call AWS do not load them.
 * `overrides` is a seam for tests (e.g. a requestHandler that answers without a network).
 */
export async function createClients(options: AwsOptions, overrides: Record<string, unknown> = {}): Promise<AwsClients> {
  if (!options.region) {
    throw new UserError(
      'no AWS region: pass --region, set AWS_REGION, or set "region" in fulfill.config.json',
      [],
      ExitCode.AwsError,
      'AwsRegion',
    );
  }
  const [iam, lambda, sfn, events, sqs, logs, apigw, sts, tagging] = await Promise.all([
    import('@aws-sdk/client-iam'),
    import('@aws-sdk/client-lambda'),
    import('@aws-sdk/client-sfn'),
    import('@aws-sdk/client-eventbridge'),
    import('@aws-sdk/client-sqs'),
    import('@aws-sdk/client-cloudwatch-logs'),
    import('@aws-sdk/client-api-gateway'),
    import('@aws-sdk/client-sts'),
    import('@aws-sdk/client-resource-groups-tagging-api'),
  ]);
  const endpoint = options.endpointUrl ?? process.env.AWS_ENDPOINT_URL;
  const config = {
    region: options.region,
    ...(options.profile ? { profile: options.profile } : {}),
    ...(endpoint ? { endpoint } : {}),
    // The SDK's own settings win where the user gave them (AWS_RETRY_MODE, AWS_MAX_ATTEMPTS, as every AWS tool
    // honours them): the SDK reads them when these are left out.
    ...(process.env.AWS_RETRY_MODE ? {} : { retryMode: 'adaptive' }),
    ...(process.env.AWS_MAX_ATTEMPTS ? {} : { maxAttempts: MAX_ATTEMPTS }),
    customUserAgent: USER_AGENT,
    ...overrides,
  };
  return {
    // IAM is global: its endpoint ignores the region, but the SDK still needs one to sign.
    iam: new iam.IAMClient(config),
    lambda: new lambda.LambdaClient(config),
    sfn: new sfn.SFNClient(config),
    events: new events.EventBridgeClient(config),
    sqs: new sqs.SQSClient(config),
    logs: new logs.CloudWatchLogsClient(config),
    apigw: new apigw.APIGatewayClient(config),
    sts: new sts.STSClient(config),
    tagging: new tagging.ResourceGroupsTaggingAPIClient(config),
  };
}

/** The account the credentials belong to (STS GetCallerIdentity: needs no permission). */
export async function callerAccount(clients: Pick<AwsClients, 'sts'>): Promise<string> {
  const { GetCallerIdentityCommand } = await import('@aws-sdk/client-sts');
  const identity = await clients.sts.send(new GetCallerIdentityCommand({}));
  if (!identity.Account)
    throw new UserError(
      'could not determine the AWS account (STS GetCallerIdentity returned none)',
      [],
      ExitCode.AwsError,
      'AwsError',
    );
  return identity.Account;
}

function packageVersion(): string {
  try {
    // src/lib/aws/ and dist/lib/aws/ are both three levels below the package root.
    return (
      (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: string })
        .version ?? '0.0.0'
    );
  } catch {
    return '0.0.0';
  }
}
