import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import type { OrderOutcome } from '../../src/lib/order/outcome.js';
import type { LogEntry } from '../../src/lib/logs/entry.js';
import { envelope, jsonLines, tempDir } from '../helpers/cli.js';
import { runInProcess } from '../helpers/in-process.js';

// The acceptance path, run the way a user runs it: init, deploy, send-order, logs in a temp folder. In
// process (the commands' own parsing and output, no subprocess): cli-contract and exit-codes run the real bin.
describe('orchestration mode on the local target, end to end', () => {
  const tmp = tempDir();
  const project = join(tmp.dir, 'shop');

  beforeAll(async () => {
    const init = await runInProcess(
      ['init', project, '--name', 'e2e-shop', '--mode', 'orchestration', '--yes', '--json'],
      {
        cwd: tmp.dir,
      },
    );
    expect(init.code).toBe(0);
    expect(envelope(init).result).toMatchObject({ app: 'e2e-shop', mode: 'orchestration' });
    const deploy = await runInProcess(['deploy', '--mode', 'orchestration', '--json'], { cwd: project });
    expect(deploy.code).toBe(0);
    const result = envelope<{ changes: Array<{ kind: string; action: string }> }>(deploy).result;
    expect(result.changes.filter((c) => c.kind === 'function').map((c) => c.action)).toEqual(Array(7).fill('created'));
  });
  afterAll(() => tmp.cleanup());

  it('authorizes a credit card order and ships it from the warehouse for its destination', async () => {
    const run = await runInProcess(
      ['send-order', '--payment', 'creditCard', '--order-id', 'e2e-cc', '--ship-to', 'FR', '--wait', '--json'],
      { cwd: project },
    );
    expect(run.code).toBe(0);
    const outcome = envelope<{ outcome: OrderOutcome }>(run).result.outcome;
    expect(outcome).toMatchObject({
      orderId: 'e2e-cc',
      mode: 'orchestration',
      status: 'SUCCEEDED',
      payment: { instrument: 'creditCard', authorized: true, authorizationId: 'auth-e2e-cc', amount: 19.99 },
      seller: { sellerId: 'shop', type: '1P' },
      warehouse: 'LYS1',
      fulfilledBy: 'shop',
      fee: null,
      error: null,
    });
    expect(outcome.invoices).toEqual([
      {
        invoiceId: 'e2e-cc-C',
        type: 'customer',
        issuer: 'shop',
        recipient: 'customer-1',
        amount: 19.99,
        currency: 'EUR',
      },
    ]);
  });

  it('fails a gift card order with Payment Authorization Failed, and --expect turns that into exit codes', async () => {
    const failed = await runInProcess(
      ['send-order', '--payment', 'giftCard', '--order-id', 'e2e-gift', '--wait', '--json'],
      {
        cwd: project,
      },
    );
    expect(failed.code).toBe(0);
    const outcome = envelope<{ outcome: OrderOutcome }>(failed).result.outcome;
    expect(outcome.status).toBe('FAILED');
    expect(outcome.error).toEqual({ error: 'PaymentAuthorizationFailed', cause: 'Payment Authorization Failed' });
    expect(outcome.payment).toMatchObject({ instrument: 'giftCard', authorized: false });

    const unmet = await runInProcess(
      ['send-order', '--payment', 'giftCard', '--order-id', 'e2e-gift-2', '--expect', 'succeeded', '--json'],
      { cwd: project },
    );
    expect(unmet.code).toBe(1);
    expect(envelope(unmet).error).toMatchObject({ code: 'ExpectationNotMet' });
    const met = await runInProcess(
      ['send-order', '--payment', 'giftCard', '--order-id', 'e2e-gift-3', '--expect', 'failed'],
      { cwd: project },
    );
    expect(met.code).toBe(0);
    expect(met.stdout).toContain('Payment Authorization Failed');
  });

  it('charges a 3P fee and issues the seller invoice', async () => {
    const run = await runInProcess(
      ['send-order', '--file', join(project, 'orders/credit-card-3p.json'), '--order-id', 'e2e-3p', '--json'],
      {
        cwd: project,
      },
    );
    expect(run.code).toBe(0);
    const outcome = envelope<{ outcome: OrderOutcome }>(run).result.outcome;
    // 89.50 + 4 x 3.25 = 102.50, 5 units to FR: the shop fulfills from LYS1 at 15%.
    expect(outcome).toMatchObject({
      status: 'SUCCEEDED',
      seller: { type: '3P', sellerId: 'marketplace-seller-1' },
      fulfilledBy: 'shop',
      warehouse: 'LYS1',
      fee: { rate: 0.15, amount: 15.38, currency: 'EUR' },
    });
    expect(outcome.invoices.map((i) => [i.type, i.issuer, i.recipient, i.amount])).toEqual([
      ['customer', 'marketplace-seller-1', 'customer-42', 102.5],
      ['seller-fee', 'shop', 'marketplace-seller-1', 15.38],
    ]);
  });

  it('shows the states that ran with logs --order --json', async () => {
    const run = await runInProcess(['logs', '--order', 'e2e-3p', '--json'], { cwd: project });
    expect(run.code).toBe(0);
    const entries = jsonLines<LogEntry>(run.stdout);
    const history = entries.filter((e) => e.source === 'execution');
    expect(history[0]).toMatchObject({ type: 'ExecutionStarted', id: 1, orderId: 'e2e-3p' });
    expect(history.at(-1)).toMatchObject({ type: 'ExecutionSucceeded' });
    expect(history.filter((e) => e.type === 'TaskStateEntered').map((e) => e.name)).toEqual([
      'AuthorizePayment',
      'NotifyCustomer',
      'DetermineSeller',
      'DecideFulfillment',
      'CalculateFee',
      'IssueInvoices',
    ]);
    expect(history.map((e) => e.type)).toContain('ChoiceStateEntered');
    // Ids chain like GetExecutionHistory's.
    history.slice(1).forEach((e, i) => expect(e.previousEventId).toBe(history[i].id));
    const human = await runInProcess(['logs', '--order', 'e2e-3p', '--limit', '3'], { cwd: project });
    expect(human.stdout.trim().split('\n')).toHaveLength(3);
  });

  it('does not start a second execution for a resent order id', async () => {
    const again = await runInProcess(['send-order', '--payment', 'creditCard', '--order-id', 'e2e-cc', '--json'], {
      cwd: project,
    });
    expect(again.code).toBe(0);
    const body = envelope<{ duplicate: boolean; outcome: OrderOutcome }>(again);
    expect(body.result.duplicate).toBe(true);
    expect(body.result.outcome.status).toBe('SUCCEEDED');
    expect(body.warnings.join()).toMatch(/already submitted/);
    const logs = jsonLines<LogEntry>(
      (await runInProcess(['logs', '--order', 'e2e-cc', '--json', '--source', 'execution'], { cwd: project })).stdout,
    );
    expect(logs.filter((e) => e.type === 'ExecutionStarted')).toHaveLength(1);
  });

  it('sends a batch with --count and summarises outcomes and latencies', async () => {
    const run = await runInProcess(
      ['send-order', '--count', '6', '--concurrency', '3', '--order-id', 'batch', '--seller', '3P', '--json'],
      { cwd: project },
    );
    expect(run.code).toBe(0);
    const summary = envelope<{
      sent: number;
      succeeded: number;
      failed: number;
      errors: number;
      latencyMs: { p50: number; p95: number; max: number };
      orders: Array<{ orderId: string }>;
    }>(run).result;
    expect(summary).toMatchObject({ sent: 6, succeeded: 6, failed: 0, errors: 0 });
    expect(summary.orders.map((o) => o.orderId)).toEqual([
      'batch-1',
      'batch-2',
      'batch-3',
      'batch-4',
      'batch-5',
      'batch-6',
    ]);
    expect(summary.latencyMs.p50).toBeLessThanOrEqual(summary.latencyMs.p95);
    expect(summary.latencyMs.p95).toBeLessThanOrEqual(summary.latencyMs.max);
    const unmet = await runInProcess(
      ['send-order', '--count', '2', '--order-id', 'batch-gift', '--payment', 'giftCard', '--expect', 'succeeded'],
      { cwd: project },
    );
    expect(unmet.code).toBe(1);
    expect(unmet.stderr).toMatch(/2 of 2 orders did not end SUCCEEDED/);
  });

  it('re-deploying without changes changes nothing', async () => {
    const run = await runInProcess(['deploy', '--json'], { cwd: project });
    expect(
      envelope<{ changes: Array<{ action: string }> }>(run).result.changes.every((c) => c.action === 'unchanged'),
    ).toBe(true);
  });
});
