import { afterAll, describe, expect, it, jest } from '@jest/globals';
import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { BIN, childEnv, envelope, tempDir, templateProject } from '../helpers/cli.js';
import { runInProcess } from '../helpers/in-process.js';
import { startServe } from '../helpers/serve.js';
import { executionCount, executionRows } from '../helpers/state.js';

// kill -9 in the middle of a burst, in both modes: after any command opens the stage again, every accepted order
// (an execution row, HTTP 200) has exactly one terminal outcome, none is RUNNING, and resending its id works.
// Subprocesses on a loaded 2-core machine: generous limits, never a timing assertion.
jest.setTimeout(600_000);

const order = (orderId: string) => ({
  orderId,
  customerId: 'c-1',
  paymentInstrumentType: 'creditCard',
  sellerId: 'shop',
  currency: 'EUR',
  items: [{ sku: 'sku-1', quantity: 1, unitPrice: 9.99 }],
  shipTo: { country: 'DE', postalCode: '10115' },
});

function post(url: string, body: unknown): Promise<number> {
  return new Promise((resolve) => {
    const u = new URL('/orders', url);
    const req = request(
      {
        host: u.hostname,
        port: u.port,
        path: u.pathname,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    // The server was killed: no answer is not an acceptance.
    req.on('error', () => resolve(0));
    req.end(JSON.stringify(body));
  });
}

async function until(condition: () => boolean, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The invariant after a crash and a restart. */
async function expectRecovered(project: string, stage: string, accepted: readonly string[], prefix: string) {
  // Restart: any command that opens the stage ends what the dead process left running.
  // In this process: the killed one is the only other process (its pid is gone, so recovery ends its executions).
  const restart = await runInProcess(['logs', '--stage', stage, '--order', accepted[0] ?? 'none', '--json'], {
    cwd: project,
  });
  expect(restart.code).toBe(0);
  const rows = executionRows(project, stage);
  const byOrder = new Map<string, typeof rows>();
  for (const row of rows) byOrder.set(row.orderId, [...(byOrder.get(row.orderId) ?? []), row]);
  for (const id of accepted) expect(byOrder.get(id)?.length).toBeGreaterThanOrEqual(1);
  for (const row of rows) {
    expect(row.status).not.toBe('RUNNING');
    expect(row.outcomes).toBe(1);
    expect(row.outcomeStatus).toBe(row.status);
  }
  const aborted = rows.filter((r) => r.status === 'ABORTED' && r.orderId.startsWith(prefix));
  // The kill interrupted orders in flight (otherwise this test would prove nothing).
  expect(aborted.length).toBeGreaterThan(0);
  const logs = await runInProcess(
    ['logs', '--stage', stage, '--order', aborted[0].orderId, '--execution', String(aborted[0].execution), '--json'],
    { cwd: project },
  );
  expect(logs.stdout).toMatch(/interrupted: process \d+ exited/);
  // Resending works: an interrupted order starts again, a finished one answers with its outcome.
  const finished = rows.find((r) => r.status === 'SUCCEEDED' && r.orderId.startsWith(prefix));
  for (const id of [aborted[0].orderId, ...(finished ? [finished.orderId] : [])]) {
    const resent = await runInProcess(
      ['send-order', '--stage', stage, '--order-id', id, '--wait', '--json', '--timeout', '120'],
      { cwd: project },
    );
    expect(envelope(resent).status).toBe(0);
    expect(envelope<{ outcome: { status: string } }>(resent).result.outcome.status).toBe('SUCCEEDED');
  }
  const after = executionRows(project, stage).filter((r) => r.orderId === aborted[0].orderId);
  expect(after.at(-1)).toMatchObject({ status: 'SUCCEEDED', outcomes: 1 });
}

describe.each(['orchestration', 'events'] as const)('kill -9 mid-burst (%s)', (mode) => {
  const tmp = tempDir();
  const project = templateProject(tmp.dir, { mode, stage: 'crash' });
  afterAll(() => tmp.cleanup());

  it('send-order --count: every accepted order ends exactly once after a restart', async () => {
    expect((await runInProcess(['deploy'], { cwd: project })).code).toBe(0);
    const child = spawn(
      process.execPath,
      [BIN, 'send-order', '--count', '400', '--concurrency', '20', '--order-id', `${mode}-k`],
      { cwd: project, env: childEnv(), stdio: 'ignore' },
    );
    const exited = new Promise((r) => child.once('exit', r));
    await until(() => executionCount(project, 'crash') >= 40);
    child.kill('SIGKILL');
    await exited;
    const accepted = executionRows(project, 'crash').map((r) => r.orderId);
    await expectRecovered(project, 'crash', accepted, `${mode}-k-`);
  });

  it('serve: every order that got HTTP 200 ends exactly once after a restart', async () => {
    const server = await startServe(project, ['--stage', 'crash']);
    const accepted: string[] = [];
    let next = 0;
    let killed = false;
    const ids = Array.from({ length: 300 }, (_, i) => `${mode}-s-${i}`);
    const workers = Array.from({ length: 20 }, async () => {
      while (next < ids.length && !killed) {
        const id = ids[next++];
        if ((await post(server.url, order(id))) === 200) accepted.push(id);
      }
    });
    await until(() => accepted.length >= 60);
    killed = true;
    await server.stop('SIGKILL');
    await Promise.all(workers);
    expect(accepted.length).toBeGreaterThanOrEqual(60);
    await expectRecovered(project, 'crash', accepted, `${mode}-s-`);
  });
});
