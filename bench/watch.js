#!/usr/bin/env node
// The inner loop, per mode: `deploy --watch` and `serve` running, a handler file written, and the time until the
// next order runs the new code: until serve answers with the new deployment (GET /health every 5 ms; serve checks
// the stage on each request), and until the outcome of one order sent then, whose fee rate must be the edited
// one. Printed, not asserted.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../bin/run.js', import.meta.url));
const edits = Number(process.env.BENCH_WATCH_EDITS ?? 8);
const modes = (process.env.BENCH_MODES ?? 'orchestration,events').split(',');
const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Spawns the CLI and resolves once a stdout line matches; `lines` keeps every JSON line it printed. */
function start(dir, args, ready) {
  const child = spawn(process.execPath, [bin, ...args], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1' },
  });
  const lines = [];
  let out = '';
  let err = '';
  child.stderr.on('data', (c) => (err += c));
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`fulfill ${args.join(' ')} exited ${code}: ${err}`)));
    child.stdout.on('data', (c) => {
      out += c;
      const parts = out.split('\n');
      out = parts.pop();
      for (const line of parts) {
        if (!line.startsWith('{"')) continue;
        const parsed = JSON.parse(line);
        lines.push(parsed);
        if (ready(parsed)) resolve({ child, lines });
      }
    });
  });
}

async function post(url, body) {
  const res = await fetch(`${url}/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  await res.arrayBuffer();
  return res.status;
}

async function feeRate(url, orderId) {
  for (const deadline = Date.now() + 60_000; Date.now() < deadline; await sleep(20)) {
    const view = await (await fetch(`${url}/orders/${orderId}`)).json();
    if (view.outcome) return view.outcome.fee?.rate;
  }
  return undefined;
}

const order = (orderId) => ({
  orderId,
  customerId: 'c-1',
  paymentInstrumentType: 'creditCard',
  sellerId: 'seller-7',
  currency: 'EUR',
  items: [{ sku: 'sku-1', quantity: 1, unitPrice: 100 }],
  shipTo: { country: 'DE', postalCode: '10115' },
});

for (const mode of modes) {
  const dir = mkdtempSync(join(tmpdir(), `fulfill-bench-watch-${mode}-`));
  spawnSync(process.execPath, [bin, 'init', '.', '--name', 'bench', '--mode', mode, '--yes', '--force'], { cwd: dir });
  const watch = await start(dir, ['deploy', '--watch', '--json'], (l) => 'watching' in l);
  const serve = await start(dir, ['serve', '--port', '0', '--json'], (l) => 'listening' in l);
  const url = serve.lines.find((l) => l.listening).listening.url;
  const feeFile = join(dir, 'handlers/calculate-fee.ts');
  const source = readFileSync(feeFile, 'utf8');
  // Warm-up: one order through every function.
  await post(url, order(`warm-${mode}`));
  await feeRate(url, `warm-${mode}`);
  const live = [];
  const firstOrder = [];
  const redeployMs = [];
  let wrong = 0;
  for (let edit = 1; edit <= edits; edit++) {
    const rate = Number((0.2 + edit / 1000).toFixed(3));
    const before = watch.lines.length;
    const deployedAt = (await (await fetch(`${url}/health`)).json()).deployedAt;
    writeFileSync(feeFile, source.replace('const rate = FEE_RATE[order.fulfillment.by];', `const rate = ${rate};`));
    const written = performance.now();
    // serve checks the stage on every API request: the first answer with the new deployment is the moment new
    // orders run the new code. Then one order proves it.
    for (let i = 0; i < 3000; i++) {
      const health = await (await fetch(`${url}/health`)).json();
      if (health.deployedAt !== deployedAt) break;
      await sleep(5);
    }
    live.push(performance.now() - written);
    const orderId = `w-${mode}-${edit}`;
    await post(url, order(orderId));
    const ran = await feeRate(url, orderId);
    firstOrder.push(performance.now() - written);
    if (ran !== rate) wrong++;
    const line = watch.lines.slice(before).find((l) => l.redeploy);
    if (line) redeployMs.push(line.redeploy.durationMs);
    await sleep(200);
  }
  for (const list of [live, firstOrder, redeployMs]) list.sort((a, b) => a - b);
  console.log(
    `watch (${mode}), ${edits} handler edits: write -> serve takes new orders on the new code p50 ${pct(live, 50).toFixed(0)} ms, max ${live.at(-1).toFixed(0)} ms; -> the first such order's outcome p50 ${pct(firstOrder, 50).toFixed(0)} ms, max ${firstOrder.at(-1).toFixed(0)} ms (${wrong} ran old code); the redeploy itself p50 ${pct(redeployMs, 50)} ms, max ${redeployMs.at(-1)} ms`,
  );
  for (const p of [serve.child, watch.child]) {
    p.kill('SIGTERM');
    await new Promise((r) => p.once('exit', r));
  }
  rmSync(dir, { recursive: true, force: true });
}
