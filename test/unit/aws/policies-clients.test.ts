import { describe, expect, it } from '@jest/globals';
import { Readable } from 'node:stream';
import { ListStateMachinesCommand, SFNClient } from '@aws-sdk/client-sfn';
import { createClients } from '../../../src/lib/aws/clients.js';
import { deadLetterQueuePolicy, eventLogsResourcePolicy, roleSpecs, type PolicyDocument } from '../../../src/lib/aws/policies.js';
import { loadBlueprint } from '../../../src/lib/blueprint/blueprint.js';
import { tempDir, templateProject } from '../../helpers/cli.js';

const ACCOUNT = '123456789012';

describe('generated IAM documents are least privilege', () => {
  const tmp = tempDir();
  templateProject(tmp.dir, { app: 'shop', stage: 'ci' });
  const docs: Array<[string, PolicyDocument]> = [];
  for (const mode of ['orchestration', 'events'] as const) {
    const blueprint = loadBlueprint(tmp.dir, { mode });
    for (const role of roleSpecs(blueprint, ACCOUNT)) {
      docs.push([`${mode} ${role.name} trust`, role.trust], [`${mode} ${role.name} policy`, role.policy]);
    }
    docs.push([`${mode} dead-letter queue policy`, deadLetterQueuePolicy(blueprint, ACCOUNT, `arn:aws:sqs:eu-central-1:${ACCOUNT}:q`)]);
    docs.push([`${mode} event log resource policy`, eventLogsResourcePolicy(blueprint, ACCOUNT)]);
  }
  tmp.cleanup();

  it.each(docs)('%s: no statement has a "*" action', (_name, doc) => {
    for (const statement of doc.Statement) {
      const actions = ([] as string[]).concat(statement.Action);
      expect(actions.filter((a) => a.includes('*'))).toEqual([]);
    }
  });

  it.each(docs.filter(([name]) => name.endsWith('trust')))('%s: names one service principal, with an aws:SourceAccount condition', (_name, doc) => {
    for (const statement of doc.Statement) {
      expect(Object.keys(statement.Principal ?? {})).toEqual(['Service']);
      expect(statement.Condition).toEqual({ StringEquals: { 'aws:SourceAccount': ACCOUNT } });
    }
  });

  it.each(docs.filter(([name]) => !name.endsWith('trust')))('%s: a "*" resource only for X-Ray and Step Functions log delivery', (_name, doc) => {
    for (const statement of doc.Statement) {
      if ([statement.Resource].flat().includes('*')) expect(['Tracing', 'LogDelivery']).toContain(statement.Sid);
    }
  });

  it('resource policies for other services are scoped by aws:SourceArn', () => {
    for (const [name, doc] of docs.filter(([n]) => /queue|resource policy/.test(n))) {
      expect({ name, condition: Object.values(doc.Statement[0]!.Condition ?? {}).map((c) => Object.keys(c)) }).toEqual({ name, condition: [['aws:SourceArn']] });
    }
  });
});

describe('the AWS clients', () => {
  it('share region, endpoint, adaptive retries and the user agent', async () => {
    const clients = await createClients({ region: 'eu-west-1', endpointUrl: 'http://127.0.0.1:4566' });
    for (const client of Object.values(clients)) {
      expect(await client.config.region()).toBe('eu-west-1');
      const config = client.config as unknown as { retryMode: string | (() => Promise<string>); maxAttempts: () => Promise<number>; retryStrategy: () => Promise<{ mode: string }>; customUserAgent?: unknown };
      expect((await config.retryStrategy()).mode).toBe('adaptive');
      expect(await config.maxAttempts()).toBe(6);
      expect(JSON.stringify(config.customUserAgent)).toContain('fulfill/');
      const endpoint = await client.config.endpoint!();
      expect(`${endpoint.protocol}//${endpoint.hostname}:${endpoint.port}`).toBe('http://127.0.0.1:4566');
    }
  });

  it('the SDK retries throttling with this configuration', async () => {
    let attempts = 0;
    const requestHandler = {
      handle: async () => {
        attempts++;
        const throttled = attempts < 3;
        const body = throttled ? '{"__type":"ThrottlingException","message":"Rate exceeded"}' : '{"stateMachines":[]}';
        return { response: { statusCode: throttled ? 400 : 200, headers: { 'content-type': 'application/x-amz-json-1.0' }, body: Readable.from([Buffer.from(body)]) } };
      },
    };
    const client = new SFNClient({ region: 'eu-west-1', retryMode: 'adaptive', maxAttempts: 6, credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, requestHandler: requestHandler as never });
    const out = await client.send(new ListStateMachinesCommand({}));
    expect(out.stateMachines).toEqual([]);
    expect(attempts).toBe(3);
  }, 30_000);
});
