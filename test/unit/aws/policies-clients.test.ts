import { describe, expect, it, jest } from '@jest/globals';
import { Readable } from 'node:stream';
import { ListStateMachinesCommand } from '@aws-sdk/client-sfn';
import { ListFunctionsCommand } from '@aws-sdk/client-lambda';
import { readFileSync } from 'node:fs';
import { createClients, USER_AGENT } from '../../../src/lib/aws/clients.js';
import {
  deadLetterQueuePolicy,
  eventLogsResourcePolicy,
  roleSpecs,
  type PolicyDocument,
} from '../../../src/lib/aws/policies.js';
import { loadBlueprint } from '../../../src/lib/blueprint/blueprint.js';
import { tempDir, templateProject } from '../../helpers/cli.js';

const ACCOUNT = '123456789012';

describe('generated IAM documents are least privilege', () => {
  const tmp = tempDir();
  templateProject(tmp.dir, { app: 'shop', stage: 'ci' });
  const docs: Array<[string, PolicyDocument]> = [];
  for (const mode of ['orchestration', 'events'] as const) {
    const blueprint = loadBlueprint(tmp.dir, { mode });
    const names = blueprint.names.inAccount(ACCOUNT);
    for (const role of roleSpecs(blueprint, names)) {
      docs.push([`${mode} ${role.name} trust`, role.trust], [`${mode} ${role.name} policy`, role.policy]);
    }
    docs.push([`${mode} dead-letter queue policy`, deadLetterQueuePolicy(names)]);
    docs.push([`${mode} event log resource policy`, eventLogsResourcePolicy(names)]);
  }
  tmp.cleanup();

  it.each(docs)('%s: no statement has a "*" action', (_name, doc) => {
    for (const statement of doc.Statement) {
      const actions = ([] as string[]).concat(statement.Action);
      expect(actions.filter((a) => a.includes('*'))).toEqual([]);
    }
  });

  it.each(docs.filter(([name]) => name.endsWith('trust')))(
    '%s: names one service principal, with an aws:SourceAccount condition',
    (_name, doc) => {
      for (const statement of doc.Statement) {
        expect(Object.keys(statement.Principal ?? {})).toEqual(['Service']);
        expect(statement.Condition).toEqual({ StringEquals: { 'aws:SourceAccount': ACCOUNT } });
      }
    },
  );

  it.each(docs.filter(([name]) => !name.endsWith('trust')))(
    '%s: a "*" resource only for X-Ray and Step Functions log delivery',
    (_name, doc) => {
      for (const statement of doc.Statement) {
        if ([statement.Resource].flat().includes('*')) expect(['Tracing', 'LogDelivery']).toContain(statement.Sid);
      }
    },
  );

  it('resource policies for other services are scoped by aws:SourceArn', () => {
    for (const [name, doc] of docs.filter(([n]) => /queue|resource policy/.test(n))) {
      expect({ name, condition: Object.values(doc.Statement[0].Condition ?? {}).map((c) => Object.keys(c)) }).toEqual({
        name,
        condition: [['aws:SourceArn']],
      });
    }
  });
});

describe('the AWS clients', () => {
  it('share region, endpoint, adaptive retries and the user agent', async () => {
    const clients = await createClients({ region: 'eu-west-1', endpointUrl: 'http://127.0.0.1:4566' });
    const version = (
      JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }
    ).version;
    expect(USER_AGENT).toBe(`fulfill/${version}`);
    for (const client of Object.values(clients)) {
      expect(await client.config.region()).toBe('eu-west-1');
      const config = client.config as unknown as {
        maxAttempts: () => Promise<number>;
        retryStrategy: () => Promise<{ mode: string }>;
        customUserAgent?: unknown;
      };
      expect((await config.retryStrategy()).mode).toBe('adaptive');
      expect(await config.maxAttempts()).toBe(6);
      expect(JSON.stringify(config.customUserAgent)).toContain(`fulfill/${version}`);
      const endpoint = await client.config.endpoint!();
      expect(`${endpoint.protocol}//${endpoint.hostname}:${endpoint.port}`).toBe('http://127.0.0.1:4566');
    }
  });

  it('refuse to start without a region', async () => {
    await expect(createClients({ region: '' })).rejects.toMatchObject({ code: 'AwsRegion', exit: 3 });
  });

  // The shared configuration, with a request handler standing in for the network: AWS answers "throttled"
  // twice, then succeeds; the SDK retries by itself (the deployer has no retry loop of its own for this).
  it.each([
    [
      'Step Functions (JSON 1.0)',
      'sfn',
      400,
      { 'content-type': 'application/x-amz-json-1.0' },
      '{"__type":"ThrottlingException","message":"Rate exceeded"}',
      '{"stateMachines":[]}',
    ],
    [
      'Lambda (REST JSON)',
      'lambda',
      429,
      { 'content-type': 'application/json', 'x-amzn-errortype': 'TooManyRequestsException' },
      '{"message":"Rate exceeded","Reason":"CallerRateLimitExceeded"}',
      '{"Functions":[]}',
    ],
  ] as const)('%s: throttling is retried by the SDK', async (_name, service, status, headers, throttled, ok) => {
    let attempts = 0;
    const requestHandler = {
      handle: async () => {
        attempts++;
        const fail = attempts < 3;
        return {
          response: {
            statusCode: fail ? status : 200,
            headers: fail ? headers : { 'content-type': headers['content-type'] },
            body: Readable.from([Buffer.from(fail ? throttled : ok)]),
          },
        };
      },
    };
    const clients = await createClients(
      { region: 'eu-west-1' },
      { requestHandler, credentials: { accessKeyId: 'a', secretAccessKey: 'b' } },
    );
    // The SDK's back-off waits real seconds: let fake timers pass them.
    jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask'] });
    try {
      const sent =
        service === 'sfn'
          ? clients.sfn.send(new ListStateMachinesCommand({}))
          : clients.lambda.send(new ListFunctionsCommand({}));
      let settled = false;
      void sent.finally(() => (settled = true)).catch(() => {});
      // Real I/O (config files) and fake time interleave: turn the event loop, then move the clock.
      for (let i = 0; i < 500 && !settled; i++) {
        await new Promise((resolve) => setImmediate(resolve));
        await jest.advanceTimersByTimeAsync(250);
      }
      const out = await sent;
      expect(out.$metadata.attempts).toBe(3);
      expect(out.$metadata.totalRetryDelay).toBeGreaterThan(0);
      expect(attempts).toBe(3);
    } finally {
      jest.useRealTimers();
    }
  });
});
