import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ComparisonReport } from '../../src/lib/compare/run.js';
import type { OrderTrace } from '../../src/lib/trace/trace.js';
import { envelope, tempDir, templateProject } from '../helpers/cli.js';
import { runInProcess } from '../helpers/in-process.js';

const everyLineChecks = (report: ComparisonReport) => {
  for (const mode of ['orchestration', 'events'] as const) {
    for (const line of report.modes[mode].costPerMillion.lines)
      expect(line.usd).toBeCloseTo(line.count * line.unitUsd, 6);
    const sum = report.modes[mode].costPerMillion.lines.reduce((n, l) => n + l.usd, 0);
    expect(report.modes[mode].costPerMillion.usd).toBeCloseTo(sum, 6);
  }
};

describe('fulfill compare on the default project', () => {
  const tmp = tempDir();
  beforeAll(() => {
    templateProject(tmp.dir, { stage: 'cmp' });
    // Retries without the 1 + 2 + 4 s waits: the fault test is about which mode outlasts the fault, not the wait.
    const asl = join(tmp.dir, 'workflow.asl.json');
    writeFileSync(asl, readFileSync(asl, 'utf8').replaceAll('"IntervalSeconds": 1', '"IntervalSeconds": 0'));
  });
  afterAll(() => tmp.cleanup());

  it('finds no outcome difference for the sample orders, and measures both modes', async () => {
    const result = await runInProcess(['compare', '--json'], { cwd: tmp.dir });
    const out = envelope<ComparisonReport>(result);
    expect({ code: result.code, status: out.status, error: out.error }).toEqual({
      code: 0,
      status: 0,
      error: undefined,
    });
    const report = out.result;
    expect(report.stages).toEqual({ orchestration: 'cmp-orch', events: 'cmp-ev' });
    expect(report.orders.map((o) => o.origin).sort()).toEqual([
      'orders/credit-card-1p.json',
      'orders/credit-card-3p.json',
      'orders/gift-card.json',
    ]);
    expect(report.differences).toEqual([]);
    const byOrigin = Object.fromEntries(report.orders.map((o) => [o.origin, o]));
    // Counted from the log: the 3P order runs decide-fulfillment and calculate-fee, the failed one stops after notify.
    expect(byOrigin['orders/credit-card-1p.json'].usage.orchestration).toMatchObject({
      lambdaInvocations: 5,
      stateTransitions: 6,
    });
    expect(byOrigin['orders/credit-card-3p.json'].usage.events).toMatchObject({
      lambdaInvocations: 6,
      eventsPublished: 7,
      ruleDeliveries: 6,
    });
    expect(byOrigin['orders/gift-card.json'].usage.events).toMatchObject({ lambdaInvocations: 2, eventsPublished: 3 });
    for (const mode of ['orchestration', 'events'] as const) {
      expect(report.modes[mode]).toMatchObject({ orders: 3, succeeded: 2, failed: 1, noOutcome: 0 });
      expect(report.modes[mode].latencyMs.max).toBeGreaterThan(0);
      expect(report.modes[mode].perOrder.lambdaGbSeconds).toBeGreaterThan(0);
    }
    everyLineChecks(report);
    expect(report.wiring.events.longestChain.length).toBe(6);

    // The same run, traced: one order's usage and estimated cost.
    const orderId = byOrigin['orders/credit-card-3p.json'].orderId;
    const traced = envelope<OrderTrace>(
      await runInProcess(['trace', orderId, '--stage', 'cmp-ev', '--json'], { cwd: tmp.dir }),
    );
    expect(traced.result.cost?.usage).toMatchObject({ lambdaInvocations: 6, eventsPublished: 7, memoryMb: 256 });
    expect(traced.result.cost?.cost.usd).toBeGreaterThan(0);
    const human = await runInProcess(['trace', orderId, '--stage', 'cmp-orch'], { cwd: tmp.dir });
    expect(human.stdout).toMatch(/usage: 6 Lambda invocations, [\d.]+ GB-s at 256 MB, 7 state transitions/);
    expect(human.stdout).toMatch(/estimated AWS cost \(us-east-1, prices of 2026-12-01\): \$[\d.e-]+ per order/);
  }, 150_000);

  it('finds no outcome difference for the --count mix, which takes every branch', async () => {
    const result = await runInProcess(['compare', '--count', '16', '--concurrency', '4', '--json'], {
      cwd: tmp.dir,
    });
    const out = envelope<ComparisonReport>(result);
    expect({ code: result.code, status: out.status }).toEqual({ code: 0, status: 0 });
    expect(out.result.differences).toEqual([]);
    expect(out.result.orders).toHaveLength(16);
    expect(out.result.modes.events.failed).toBeGreaterThan(0);
    expect(out.result.modes.events.succeeded).toBeGreaterThan(0);
    everyLineChecks(out.result);
  }, 180_000);

  it('shows how each mode reacts to the same injected fault: retries, then a dead letter in events mode', async () => {
    const result = await runInProcess(
      [
        'compare',
        '--file',
        'orders/credit-card-1p.json',
        '--inject',
        'determine-seller:fail:3',
        // Orchestration retries 3 times (intervals 0 here): leave room for a busy machine.
        '--timeout',
        '30',
        '--json',
      ],
      { cwd: tmp.dir },
    );
    const out = envelope<ComparisonReport>(result);
    expect({ code: result.code, status: out.status }).toEqual({ code: 1, status: 1 });
    const report = out.error!.data as ComparisonReport;
    expect(report.faults).toEqual(['determine-seller:fail:3']);
    // Orchestration's Retry outlasts the fault; the bus gives up after 3 attempts and the order fails with
    // the transient error, so the outcomes differ from the seller on.
    expect(report.differences).toContainEqual(
      expect.objectContaining({ field: 'status', orchestration: 'SUCCEEDED', events: 'FAILED' }),
    );
    expect(report.differences).toContainEqual(
      expect.objectContaining({ field: 'seller.type', orchestration: '1P', events: null }),
    );
    expect(report.errors).toEqual([]);
    expect(report.orders[0].usage.orchestration).toMatchObject({ faultsInjected: 3, lambdaInvocations: 8 });
    expect(report.orders[0].usage.events).toMatchObject({ faultsInjected: 3, deadLettered: 1 });
  }, 150_000);

  it('refuses --inject on the AWS target and a stage too long for two compare stages', async () => {
    const aws = await runInProcess(['send-order', '--target', 'aws', '--inject', 'determine-seller:timeout'], {
      cwd: tmp.dir,
    });
    expect(aws.code).toBe(2);
    expect(aws.stderr.trim().split('\n')[0]).toBe(
      'Error: --inject works on the local target only: on AWS the real services run the functions and events',
    );
    const long = await runInProcess(['compare', '--stage', 'a-very-long-st'], { cwd: tmp.dir });
    expect(long.code).toBe(2);
    expect(long.stderr).toMatch(/compare deploys stage "a-very-long-st-orch", which must be 1-16/);
    const serve = await runInProcess(
      ['serve', '--stage', 'cmp-orch', '--port', '0', '--inject', 'event:OrderPlaced:drop'],
      {
        cwd: tmp.dir,
      },
    );
    expect(serve.code).toBe(2);
    expect(serve.stderr).toMatch(/^Error: --inject event:OrderPlaced:drop: event faults need an events-mode stage/);
    const typo = await runInProcess(['send-order', '--stage', 'cmp-ev', '--inject', 'determine-sellr:timeout'], {
      cwd: tmp.dir,
    });
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(/"determine-sellr" is not a handler of this stage/);
  });

  it('send-order --inject: the fault shows in the outcome, in logs and in trace as injected', async () => {
    const args = [
      '--stage',
      'cmp-ev',
      '--order-id',
      'inj-1',
      '--inject',
      'authorize-payment:throw:PaymentAuthorizationFailed',
    ];
    const sent = envelope<{ outcome: { status: string; error: { error: string } } }>(
      await runInProcess(['send-order', ...args, '--json'], { cwd: tmp.dir }),
    );
    expect(sent.result.outcome).toMatchObject({ status: 'FAILED', error: { error: 'PaymentAuthorizationFailed' } });
    const logs = await runInProcess(['logs', '--stage', 'cmp-ev', '--order', 'inj-1', '--json'], { cwd: tmp.dir });
    const injected = logs.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { type: string; details?: unknown });
    expect(injected.filter((e) => e.type === 'FaultInjected')).toEqual([
      expect.objectContaining({
        name: 'authorize-payment',
        details: expect.objectContaining({ injected: true, fault: 'throw' }),
      }),
    ]);
    const trace = await runInProcess(['trace', 'inj-1', '--stage', 'cmp-ev'], { cwd: tmp.dir });
    expect(trace.stdout).toMatch(
      /injected fault: authorize-payment authorize-payment:throw:PaymentAuthorizationFailed/,
    );
  });
});

describe('fulfill compare when a handler behaves differently in one mode', () => {
  const tmp = tempDir();
  beforeAll(() => {
    templateProject(tmp.dir, { stage: 'cmp' });
    // Orchestration runs NotifyCustomer before DetermineSeller, so `notification` is in the state that reaches
    // issue-invoices; in events mode notify-customer is a fan-out branch and its result is never in that state.
    const file = join(tmp.dir, 'handlers', 'issue-invoices.ts');
    writeFileSync(
      file,
      readFileSync(file, 'utf8').replace(
        'recipient: order.customerId,',
        "recipient: (order as { notification?: { recipient: string } }).notification?.recipient ?? 'unknown',",
      ),
    );
  });
  afterAll(() => tmp.cleanup());

  it('exits 1 naming the order and the field', async () => {
    const result = await runInProcess(['compare', '--file', 'orders/credit-card-1p.json'], {
      cwd: tmp.dir,
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^Error: 1 outcome difference\(s\) between the modes; first: order sample-1p-credit-card-\w+ field invoices\[0\]\.recipient \(orchestration "customer-42", events "unknown"\)/m,
    );
    expect(result.stdout).toMatch(
      /sample-1p-credit-card-\w+ invoices\[0\]\.recipient: orchestration "customer-42", events "unknown"/,
    );
  }, 150_000);
});
