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
  type Any,
  type FakeAwsOptions,
  type FakeCall,
  type Service,
} from './fake-aws/model.js';

// The stateful in-memory AWS of the unit tests; what it models: fake-aws/README.md.
export { ACCOUNT, awsError, isMutating, REGION, type FakeCall };

const SDK: Record<Service, Record<string, unknown>> = { apigw, logs, events, iam, lambda, sfn, sqs, sts, tagging };

export const SDK_CLIENTS = {
  iam: iam.IAMClient,
  lambda: lambda.LambdaClient,
  sfn: sfn.SFNClient,
  events: events.EventBridgeClient,
  sqs: sqs.SQSClient,
  logs: logs.CloudWatchLogsClient,
  apigw: apigw.APIGatewayClient,
  sts: sts.STSClient,
  tagging: tagging.ResourceGroupsTaggingAPIClient,
};

type Command = { constructor: unknown; input: Any };
type Send = (command: Command) => Promise<unknown>;

/** The sinon stubs of mock-aws.ts, when the test file uses them (see `answerThroughMocks`). */
interface SinonMocks {
  reset(): void;
  stubs: Record<Service, { send: unknown }>;
}
let sinonMocks: SinonMocks | undefined;

/**
 * Called by mock-aws.ts when a test file imports it: from then on each FakeAws answers through the mocks' `send`
 * stubs (`callsFake`), so sinon records every call for aws-sdk-client-mock-jest's matchers and a test's own
 * `mocks.x.on(...)` takes precedence. Elsewhere the fake is installed on the client classes without sinon: its
 * call recording (a proxy call, copies of the arguments) was a fifth of the CPU of the recovery tables.
 */
export function answerThroughMocks(mocks: SinonMocks): void {
  sinonMocks = mocks;
}

// Command class -> operation name ("CreateRole"), for every command of the nine clients: computed once per test
// file rather than per fake (each client module exports hundreds of names).
let operations: Map<unknown, string> | undefined;
function operationOf(command: Command): string | undefined {
  operations ??= new Map(
    Object.values(SDK).flatMap((module) =>
      Object.entries(module)
        .filter(([name]) => name.endsWith('Command'))
        .map(([name, Class]): [unknown, string] => [Class, name.slice(0, -'Command'.length)]),
    ),
  );
  return operations.get(command.constructor);
}

/**
 * The model (fake-aws/model.ts) installed as the `send` of every SDK client class, so each client instance (the
 * deployer's included) answers from the model's state: one dispatch per service on the command's class, rather
 * than one `mock.on(Command)` per modelled command. A command the model does not know rejects, so a test
 * notices a call the fake does not model. The latest FakeAws owns the client classes: one fake at a time.
 */
export class FakeAws extends FakeAwsModel {
  readonly clients: AwsClients;

  constructor(options: FakeAwsOptions = {}) {
    super(options);
    sinonMocks?.reset();
    for (const service of Object.keys(SDK_CLIENTS) as Service[]) {
      const handlers = this.handlers[service];
      const send: Send = (command) => {
        const name = operationOf(command);
        if (name === undefined || !Object.hasOwn(handlers, name)) {
          return Promise.reject(new Error(`fake AWS: a ${service} command that fake-aws does not model`));
        }
        return this.handle(service, name, command.input);
      };
      if (sinonMocks) {
        // Typed loosely: each service's stub has the signature of its own client's send.
        (sinonMocks.stubs[service].send as { callsFake(fn: Send): void }).callsFake(send);
      } else {
        // An own property of the class's prototype: it shadows the SDK's Client.prototype.send (the middleware
        // stack, HTTP); the classes are this test file's own (jest loads modules per file).
        Object.defineProperty(SDK_CLIENTS[service].prototype, 'send', {
          value: send,
          writable: true,
          configurable: true,
        });
      }
    }
    this.clients = sharedClients ??= sdkClients();
  }
}

// `send` lives on the client classes, so a client instance holds nothing of a fake: one set per test file
// (building the nine SDK clients, their config resolution included, was a tenth of a fake deploy's CPU).
let sharedClients: AwsClients | undefined;

function sdkClients(): AwsClients {
  const config = { region: REGION, credentials: { accessKeyId: 'AKIAFAKE', secretAccessKey: 'fake' } };
  return Object.fromEntries(
    Object.entries(SDK_CLIENTS).map(([service, Client]) => [service, new Client(config)]),
  ) as unknown as AwsClients;
}
