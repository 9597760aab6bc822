#!/usr/bin/env node
// Local orders per second, per mode: 1,000 orders (mixed 1P/3P/failed) through the local API with 50 in
// flight, from POST /orders to the recorded outcome, in one process with the real runtime and store. Also the
// CPU per order, of the main thread (engine, API, store: the bottleneck) and of the whole process (with the
// execution environments): on a shared machine the rate follows the load, the CPU per order much less.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const { initProject } = await import('../dist/lib/project/init.js');
const { loadBlueprint } = await import('../dist/lib/blueprint/blueprint.js');
const { localDeploySteps } = await import('../dist/lib/local/deploy.js');
const { LocalBackend } = await import('../dist/lib/local/backend.js');

const count = Number(process.env.BENCH_ORDERS ?? 1000);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 50);
const modes = (process.env.BENCH_MODES ?? 'orchestration,events').split(',');

function order(i, mode) {
  const kind = i % 4;
  return {
    orderId: `bench-${mode.slice(0, 3)}-${i}`,
    customerId: `c-${i}`,
    paymentInstrumentType: kind === 3 ? 'giftCard' : 'creditCard',
    sellerId: kind === 1 || kind === 2 ? 'seller-7' : 'shop',
    currency: 'EUR',
    items: [{ sku: 'sku-1', quantity: 1 + (i % 12), unitPrice: 9.99 }],
    shipTo: { country: ['DE', 'FR', 'US', 'JP'][i % 4], postalCode: '10115' },
  };
}

for (const mode of modes) {
  const dir = mkdtempSync(join(tmpdir(), `fulfill-bench-${mode}-`));
  try {
    initProject({ dir, name: 'bench', mode, region: 'eu-central-1', stage: 'bench', force: false });
    const { steps } = localDeploySteps(loadBlueprint(dir, { mode }));
    for (const step of steps) await step.run();
    const backend = await LocalBackend.start(dir, 'bench', { recordFunctionLogs: false });
    // Warm the execution environments (worker start-up is a one-time cost, reported by the e2e timings).
    await send(backend, { ...order(0, mode), orderId: `bench-warmup-${mode}` });
    const start = process.hrtime.bigint();
    const memBefore = process.memoryUsage().rss;
    const mainBefore = mainThreadCpuMs();
    const processBefore = process.cpuUsage();
    let next = 0;
    let succeeded = 0;
    let failed = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < count) {
          const outcome = await send(backend, order(next++, mode));
          if (outcome.status === 'SUCCEEDED') succeeded++;
          else failed++;
        }
      }),
    );
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const processCpu = process.cpuUsage(processBefore);
    const mainAfter = mainThreadCpuMs();
    const perOrder = (ms) => `${((ms * 1000) / count).toFixed(0)} us`;
    const cpu = `CPU per order: ${mainAfter === undefined ? '' : `main thread ${perOrder(mainAfter - mainBefore)}, `}process ${perOrder((processCpu.user + processCpu.system) / 1000)}`;
    const rssMb = (process.memoryUsage().rss / 1024 / 1024).toFixed(0);
    console.log(
      `orders (${mode}, local): ${count} orders in ${seconds.toFixed(2)} s = ${(count / seconds).toFixed(0)} orders/s at ${concurrency} in flight (${succeeded} succeeded, ${failed} failed; rss ${rssMb} MB, +${((process.memoryUsage().rss - memBefore) / 1024 / 1024).toFixed(0)} MB); ${cpu}`,
    );
    await backend.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function send(backend, body) {
  const response = await backend.api.handle({ method: 'POST', path: '/orders', body: JSON.stringify(body) });
  if (response.statusCode !== 200) throw new Error(`POST /orders ${response.statusCode}: ${response.body}`);
  return backend.waitForOutcome(body.orderId, 60_000);
}

/** This process's main thread's CPU time so far (ms), from Linux's per-thread stat; undefined elsewhere. */
function mainThreadCpuMs() {
  try {
    const fields = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1].split(' ');
    // utime and stime, in clock ticks (100 per second on Linux).
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}
