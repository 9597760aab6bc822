import { mockClient } from 'aws-sdk-client-mock';
import { answerThroughMocks, SDK_CLIENTS } from './fake-aws.js';

/**
 * One aws-sdk-client-mock mock per service client class, for the whole test file: every client instance of
 * that class (the deployer's included) answers from the mock. Reset them in beforeEach, or install the
 * in-memory fake (fake-aws.ts), which then answers through these mocks (and resets them first), so the
 * aws-sdk-client-mock-jest matchers see its calls.
 */
export const mocks = {
  iam: mockClient(SDK_CLIENTS.iam),
  lambda: mockClient(SDK_CLIENTS.lambda),
  sfn: mockClient(SDK_CLIENTS.sfn),
  events: mockClient(SDK_CLIENTS.events),
  sqs: mockClient(SDK_CLIENTS.sqs),
  logs: mockClient(SDK_CLIENTS.logs),
  apigw: mockClient(SDK_CLIENTS.apigw),
  sts: mockClient(SDK_CLIENTS.sts),
  tagging: mockClient(SDK_CLIENTS.tagging),
};

export function resetMocks(): void {
  for (const mock of Object.values(mocks)) mock.reset();
}

answerThroughMocks({ reset: resetMocks, stubs: mocks });
