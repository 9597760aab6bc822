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
      // One default behaviour per service class that dispatches on the command's class, rather than one
      // `mock.on(Command)` per modelled command: sinon deep-compares a call's arguments with every `withArgs`
      // fake, which was most of the CPU of a fake deploy (~60 of them per call). A test's own `mocks.x.on(...)`
      // still takes precedence over this default.
      const names = new Map<unknown, string>(
        Object.entries(SDK[service])
          .filter(([name]) => name.endsWith('Command'))
          .map(([name, Command]) => [Command, name.slice(0, -'Command'.length)]),
      );
      const handlers = this.handlers[service];
      // Typed loosely: each service's stub has the signature of its own client's send.
      const send = mocks[service].send as unknown as {
        callsFake(fn: (command: { constructor: unknown; input: Record<string, unknown> }) => unknown): void;
      };
      send.callsFake((command) => {
        const name = names.get(command.constructor);
        if (name === undefined || !Object.hasOwn(handlers, name)) {
          return Promise.reject(new Error(`fake AWS: a ${service} command that fake-aws does not model`));
        }
        return this.handle(service, name, command.input);
      });
    }
    this.clients = sharedClients ??= sdkClients();
  }
}

// The mocks stub `send` on the client classes, so a client instance holds nothing of a fake: one set per test file
// (building the nine SDK clients, their config resolution included, was a tenth of a fake deploy's CPU).
let sharedClients: AwsClients | undefined;

function sdkClients(): AwsClients {
  const config = { region: REGION, credentials: { accessKeyId: 'AKIAFAKE', secretAccessKey: 'fake' } };
  return Object.fromEntries(
    Object.entries(SDK_CLIENTS).map(([service, Client]) => [service, new Client(config)]),
  ) as unknown as AwsClients;
}
