import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { envelope, jsonLines, tempDir, templateProject } from '../helpers/cli.js';
import { runInProcess as runCli } from '../helpers/in-process.js';

// Issue 18 item 5: runaway flows are stopped in both modes and fail their order with an error naming the
// loop; `send-order --timeout` ends the command either way (before: a hang and 464 MB, or 26,160 events).
describe('loop guards', () => {
  const tmp = tempDir();
  afterAll(() => tmp.cleanup());

  it("fails an orchestrated Pass/Choice loop at Step Functions' 25,000 history events, naming the states", async () => {
    const dir = join(tmp.dir, 'asl');
    templateProject(dir);
    const loop = {
      StartAt: 'AuthorizePayment',
      States: {
        AuthorizePayment: {
          Type: 'Task',
          Resource: '${function:authorize-payment}',
          ResultPath: '$.payment',
          Next: 'Again',
        },
        Again: { Type: 'Pass', Next: 'StillAuthorized' },
        StillAuthorized: {
          Type: 'Choice',
          Choices: [{ Variable: '$.payment.authorized', BooleanEquals: true, Next: 'Again' }],
          Default: 'Done',
        },
        Done: { Type: 'Succeed' },
      },
    };
    writeFileSync(join(dir, 'workflow.asl.json'), JSON.stringify(loop, null, 2));
    expect((await runCli(['deploy', '--mode', 'orchestration', '--json'], { cwd: dir })).code).toBe(0);
    const sent = await runCli(
      [
        'send-order',
        '--payment',
        'creditCard',
        '--order-id',
        'loop-1',
        '--timeout',
        '60',
        '--expect',
        'failed',
        '--json',
      ],
      { cwd: dir },
    );
    expect(sent.code).toBe(0);
    const outcome = envelope<{
      outcome: { status: string; error: { error: string; cause: string }; payment: { authorized: boolean } };
    }>(sent).result.outcome;
    expect(outcome.status).toBe('FAILED');
    expect(outcome.error.error).toBe('LoopDetected');
    expect(outcome.error.cause).toContain('25,000 history events');
    expect(outcome.error.cause).toMatch(
      /the states (Again → StillAuthorized → Again|StillAuthorized → Again → StillAuthorized) repeat/,
    );
    expect(outcome.payment.authorized).toBe(true);
    const logs = jsonLines<{ type: string; details?: { error?: string } }>(
      (await runCli(['logs', '--order', 'loop-1', '--json', '--source', 'execution'], { cwd: dir })).stdout,
    );
    expect(logs.at(-1)).toMatchObject({ type: 'ExecutionFailed', details: { error: 'LoopDetected' } });
    expect(logs.length).toBeLessThanOrEqual(25_000);
  }, 180_000);

  it('stops an event cycle deployed with --allow-cycles after 16 rounds, failing the order once', async () => {
    const dir = join(tmp.dir, 'events');
    templateProject(dir, { mode: 'events' });
    const flow = JSON.parse(readFileSync(join(dir, 'events.json'), 'utf8'));
    // determine-seller's event goes back to notify-customer, whose event goes back to determine-seller.
    flow.rules = flow.rules.filter(
      (r: { name: string }) => !['select-warehouse-1p', 'decide-fulfillment-3p'].includes(r.name),
    );
    flow.rules.push(
      {
        name: 'notify-again',
        pattern: { 'detail-type': ['SellerDetermined'] },
        target: 'notify-customer',
        inputTransformer: { InputPathsMap: { detail: '$.detail' }, InputTemplate: '{"Input": <detail>}' },
      },
      {
        name: 'seller-again',
        pattern: { 'detail-type': ['CustomerNotified'] },
        target: 'determine-seller',
        inputTransformer: { InputPathsMap: { detail: '$.detail' }, InputTemplate: '{"Input": <detail>}' },
      },
    );
    writeFileSync(join(dir, 'events.json'), JSON.stringify(flow, null, 2));
    const refused = await runCli(['deploy', '--mode', 'events', '--json'], { cwd: dir });
    expect(refused.code).toBe(2);
    expect((await runCli(['deploy', '--mode', 'events', '--allow-cycles', '--json'], { cwd: dir })).code).toBe(0);
    const sent = await runCli(
      [
        'send-order',
        '--payment',
        'creditCard',
        '--order-id',
        'cycle-1',
        '--timeout',
        '60',
        '--expect',
        'failed',
        '--json',
      ],
      { cwd: dir },
    );
    expect(sent.code).toBe(0);
    const outcome = envelope<{ outcome: { status: string; error: { error: string; cause: string } } }>(sent).result
      .outcome;
    expect(outcome).toMatchObject({ status: 'FAILED', error: { error: 'LoopDetected' } });
    expect(outcome.error.cause).toMatch(
      /published 17 times for this order .*the events (SellerDetermined → CustomerNotified → SellerDetermined|CustomerNotified → SellerDetermined → CustomerNotified) repeat/,
    );
    const logs = jsonLines<{ type: string; name?: string }>(
      (await runCli(['logs', '--order', 'cycle-1', '--json', '--source', 'events'], { cwd: dir })).stdout,
    );
    expect(logs.filter((e) => e.type === 'OutcomeRecorded')).toHaveLength(1);
    expect(logs.filter((e) => e.type === 'EventPublished').length).toBeLessThan(60);
    expect(logs.some((e) => e.type === 'EventDropped')).toBe(true);
  }, 180_000);
});
