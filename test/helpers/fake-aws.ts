import * as apigw from '@aws-sdk/client-api-gateway';
import * as logs from '@aws-sdk/client-cloudwatch-logs';
import * as events from '@aws-sdk/client-eventbridge';
import * as iam from '@aws-sdk/client-iam';
import * as lambda from '@aws-sdk/client-lambda';
import * as sfn from '@aws-sdk/client-sfn';
import * as sqs from '@aws-sdk/client-sqs';
import * as sts from '@aws-sdk/client-sts';
import * as tagging from '@aws-sdk/client-resource-groups-tagging-api';
import type { AwsClients } from '../../src/lib/aws/clients.js';
import {
  ACCOUNT,
  awsError,
  FakeAwsModel,
  isMutating,
  REGION,
  type FakeAwsOptions,
  type FakeCall,
  type Service,
} from './fake-aws/model.js';
import { mocks, resetMocks, SDK_CLIENTS } from './mock-aws.js';

// The stateful in-memory AWS of the unit tests; what it models: fake-aws/README.md.
export { ACCOUNT, awsError, isMutating, REGION, type FakeCall };

const SDK: Record<Service, Record<string, unknown>> = { apigw, logs, events, iam, lambda, sfn, sqs, sts, tagging };

/**
 * The model (fake-aws/model.ts) installed on the per-class mocks of mock-aws.ts with
 * `callsFake`: each modelled command answers from the model's state; any other command rejects, so a test
 * notices a call the fake does not know. The latest FakeAws owns the mocks.
 */
export class FakeAws extends FakeAwsModel {
  readonly clients: AwsClients;

  constructor(options: FakeAwsOptions = {}) {
    super(options);
    resetMocks();
    for (const service of Object.keys(mocks) as Service[]) {
      // One mock per service class: typed loosely here, each is an AwsStub of its own client.
      const mock = mocks[service] as unknown as {
        onAnyCommand(): { rejects(e: Error): void };
        on(command: never): { callsFake(fn: (input: Record<string, unknown>) => unknown): void };
      };
      mock.onAnyCommand().rejects(new Error(`fake AWS: a ${service} command that fake-aws does not model`));
      for (const command of Object.keys(this.handlers[service])) {
        const Command = SDK[service][`${command}Command`] as never;
        mock.on(Command).callsFake((input: Record<string, unknown>) => this.handle(service, command, input));
      }
    }
    const config = { region: REGION, credentials: { accessKeyId: 'AKIAFAKE', secretAccessKey: 'fake' } };
    this.clients = Object.fromEntries(
      Object.entries(SDK_CLIENTS).map(([service, Client]) => [service, new Client(config)]),
    ) as unknown as AwsClients;
  }
}
