import type { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { IAMClient } from '@aws-sdk/client-iam';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { SFNClient } from '@aws-sdk/client-sfn';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { STSClient } from '@aws-sdk/client-sts';

export interface AwsClients {
  iam: IAMClient;
  lambda: LambdaClient;
  sfn: SFNClient;
  events: EventBridgeClient;
  sqs: SQSClient;
  logs: CloudWatchLogsClient;
  apigw: APIGatewayClient;
  sts: STSClient;
}

export interface AwsOptions {
  region: string;
  /** A named profile of the shared config/credentials files (else AWS_PROFILE, else the default chain). */
  profile?: string;
  /** AWS_ENDPOINT_URL / --endpoint-url: one endpoint for every service (a local AWS emulator). */
  endpointUrl?: string;
}

export const USER_AGENT = 'fulfill/0.1.0';

/**
 * One configuration for every client: region, credentials from the standard chain (honouring the profile),
 * the endpoint override, adaptive retries for throttling, and a user agent naming the tool. The SDK
 * packages are imported here, lazily, so commands that never call AWS do not pay for loading them.
 */
export async function createClients(options: AwsOptions): Promise<AwsClients> {
  const [iam, lambda, sfn, events, sqs, logs, apigw, sts] = await Promise.all([
    import('@aws-sdk/client-iam'),
    import('@aws-sdk/client-lambda'),
    import('@aws-sdk/client-sfn'),
    import('@aws-sdk/client-eventbridge'),
    import('@aws-sdk/client-sqs'),
    import('@aws-sdk/client-cloudwatch-logs'),
    import('@aws-sdk/client-api-gateway'),
    import('@aws-sdk/client-sts'),
  ]);
  const endpoint = options.endpointUrl ?? process.env.AWS_ENDPOINT_URL;
  const config = {
    region: options.region,
    ...(options.profile ? { profile: options.profile } : {}),
    ...(endpoint ? { endpoint } : {}),
    retryMode: 'adaptive',
    maxAttempts: 6,
    customUserAgent: USER_AGENT,
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
  };
}
