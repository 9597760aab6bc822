import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { envelope, tempDir, templateProject } from '../helpers/cli.js';
import { runInProcess as runCli } from '../helpers/in-process.js';

// Issue 16 item 2: a handler importing any @aws-sdk/client-* package works on the local target when the
// project (or fulfill) has it installed, and a client installed nowhere fails at deploy in one line.
describe('AWS SDK clients in handlers', () => {
  const tmp = tempDir();
  afterAll(() => tmp.cleanup());

  const useDynamoDb = (dir: string) => {
    const file = join(dir, 'handlers', 'authorize-payment.ts');
    const source = readFileSync(file, 'utf8')
      .replace(
        "import { orderTotal } from './lib/rules.js';",
        "import { orderTotal } from './lib/rules.js';\nimport { DynamoDBClient } from '@aws-sdk/client-dynamodb';",
      )
      .replace(
        'authorizationId: `auth-${order.orderId}`,',
        'authorizationId: `auth-${order.orderId}-${new DynamoDBClient({}).constructor.name}-${(DynamoDBClient as unknown as { origin: string }).origin}`,',
      );
    expect(source).toContain('DynamoDBClient({})');
    writeFileSync(file, source);
  };

  it('refuses at deploy a client installed neither in the project nor with fulfill, naming the package', async () => {
    const dir = join(tmp.dir, 'missing');
    templateProject(dir);
    useDynamoDb(dir);
    // fulfill's checkout has client-dynamodb as a dev dependency (the iam check test): name one it lacks.
    const handler = join(dir, 'handlers', 'authorize-payment.ts');
    writeFileSync(
      handler,
      readFileSync(handler, 'utf8').replace("'@aws-sdk/client-dynamodb'", "'@aws-sdk/client-kinesis'"),
    );
    const result = await runCli(['deploy', '--mode', 'orchestration'], { cwd: dir });
    expect(result.code).toBe(2);
    const lines = result.stderr.trim().split('\n');
    expect(lines[0]).toBe(
      'Error: handlers/authorize-payment.ts: handler "authorize-payment" imports @aws-sdk/client-kinesis, which is installed neither in the project nor with fulfill',
    );
    expect(result.stderr).toContain('npm install @aws-sdk/client-kinesis');
    expect(result.stderr).not.toMatch(/\n\s+at /);
  }, 120_000);

  it.each(['orchestration', 'events'])(
    'runs a client that only the project installed (%s)',
    async (mode) => {
      const dir = join(tmp.dir, `installed-${mode}`);
      templateProject(dir, { mode });
      useDynamoDb(dir);
      // A stand-in package in the project's node_modules: it proves the project is searched first.
      const pkg = join(dir, 'node_modules', '@aws-sdk', 'client-dynamodb');
      mkdirSync(pkg, { recursive: true });
      writeFileSync(
        join(pkg, 'package.json'),
        JSON.stringify({ name: '@aws-sdk/client-dynamodb', version: '3.0.0-project', main: 'index.js' }),
      );
      writeFileSync(
        join(pkg, 'index.js'),
        "class DynamoDBClient {}\nDynamoDBClient.origin = 'project';\nexports.DynamoDBClient = DynamoDBClient;\n",
      );
      expect((await runCli(['deploy', '--mode', mode], { cwd: dir })).code).toBe(0);
      const sent = await runCli(
        [
          'send-order',
          '--payment',
          'creditCard',
          '--order-id',
          'ddb-1',
          '--expect',
          'succeeded',
          '--json',
          '--timeout',
          '60',
        ],
        { cwd: dir },
      );
      expect(sent.code).toBe(0);
      expect(
        envelope<{ outcome: { payment: { authorizationId: string } } }>(sent).result.outcome.payment.authorizationId,
      ).toBe('auth-ddb-1-DynamoDBClient-project');
    },
    120_000,
  );
});
