import { mockClient } from 'aws-sdk-client-mock';
import { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { IAMClient } from '@aws-sdk/client-iam';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SQSClient } from '@aws-sdk/client-sqs';
import { STSClient } from '@aws-sdk/client-sts';
import { ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';

/**
 * One aws-sdk-client-mock mock per service client class, for the whole test file: every client instance of
 * that class (the deployer's included) answers from the mock. Reset them in beforeEach, or install the
 * in-memory fake (fake-aws.ts), which resets them first.
 */
export const mocks = {
  iam: mockClient(IAMClient),
  lambda: mockClient(LambdaClient),
  sfn: mockClient(SFNClient),
  events: mockClient(EventBridgeClient),
  sqs: mockClient(SQSClient),
  logs: mockClient(CloudWatchLogsClient),
  apigw: mockClient(APIGatewayClient),
  sts: mockClient(STSClient),
  tagging: mockClient(ResourceGroupsTaggingAPIClient),
};

export const SDK_CLIENTS = {
  iam: IAMClient,
  lambda: LambdaClient,
  sfn: SFNClient,
  events: EventBridgeClient,
  sqs: SQSClient,
  logs: CloudWatchLogsClient,
  apigw: APIGatewayClient,
  sts: STSClient,
  tagging: ResourceGroupsTaggingAPIClient,
};

export function resetMocks(): void {
  for (const mock of Object.values(mocks)) mock.reset();
}
