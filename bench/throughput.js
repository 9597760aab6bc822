#!/usr/bin/env node
// The local runtime against its engine, per mode (issue 12), each figure printed next to its goal:
//   raw         the deployed workflow.asl.json and handler bundles straight in aws-local-stepfunctions, handlers
//               in-process (no workers, no store, no API): the floor the runtime is compared with;
//   send-order  `fulfill send-order --count N --concurrency 50` through the real CLI (bin/run.js) on a deployed
//               scaffolded project, wall time of the whole process, as a ratio to raw;
//   single      one `fulfill send-order --payment creditCard --wait` (wall, median), as a ratio to
//               `fulfill --version` measured alternately with it.
// BENCH_ORDERS (2,000), BENCH_SINGLE_RUNS (5) and BENCH_MODES shrink it.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../bin/run.js', import.meta.url));
const require = createRequire(import.meta.url);
const count = Number(process.env.BENCH_ORDERS ?? 2000);
const concurrency = 50;
const singleRuns = Number(process.env.BENCH_SINGLE_RUNS ?? 5);
const modes = (process.env.BENCH_MODES ?? 'orchestration,events').split(',');
const Database = require('libsql');
// aws-local-stepfunctions needs Promise.withResolvers (Node 22); the runtime's polyfill provides it on Node 20.
await import('../dist/lib/local/polyfill.js');
const { StateMachine } = await import('aws-local-stepfunctions');

function fulfill(dir, args) {
  const started = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [bin, ...args], {
    cwd: dir,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, NO_COLOR: '1' },
  });
  if (r.status !== 0) throw new Error(`fulfill ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return Number(process.hrtime.bigint() - started) / 1e6;
}

/** A scaffolded, deployed project; the API's throttle lifted (the bench measures the runtime, not the throttle). */
function project(mode) {
  const dir = mkdtempSync(join(tmpdir(), `fulfill-bench-${mode}-`));
  fulfill(dir, ['init', '.', '--name', 'bench', '--mode', mode, '--yes', '--force']);
  const file = join(dir, 'fulfill.config.json');
  const config = JSON.parse(readFileSync(file, 'utf8'));
  config.api = { ...config.api, throttle: { rateLimit: 1_000_000, burstLimit: 1_000_000 } };
  writeFileSync(file, JSON.stringify(config, null, 2));
  fulfill(dir, ['deploy']);
  return dir;
}

const order = (i) => ({
  orderId: `raw-${i}`,
  customerId: 'customer-1',
  paymentInstrumentType: 'creditCard',
  sellerId: 'shop',
  currency: 'EUR',
  items: [{ sku: 'book-978-3-16', quantity: 1, unitPrice: 19.99 }],
  shipTo: { country: 'DE', postalCode: '10115' },
});

/** The recorded orchestration deployment run straight in aws-local-stepfunctions, handlers in this thread. */
async function raw(dir) {
  const stage = join(dir, '.fulfill/local/dev');
  const db = new Database(join(stage, 'state.db'));
  const spec = JSON.parse(db.prepare('SELECT spec FROM deployment').get().spec);
  db.close();
  const handlers = {};
  const loaded = new Map();
  for (const fn of spec.functions) {
    const mod = { exports: {} };
    const code = readFileSync(join(stage, 'build', fn.file), 'utf8');
    new Function('exports', 'require', 'module', '__filename', '__dirname', code)(
      mod.exports,
      require,
      mod,
      fn.name,
      '.',
    );
    loaded.set(fn.name, mod.exports.handler);
  }
  const context = { getRemainingTimeInMillis: () => 10_000 };
  for (const [state, fn] of spec.workflow.tasks) handlers[state] = (input) => loaded.get(fn)(input, context);
  const machine = new StateMachine(spec.workflow.definition, { validationOptions: { noValidate: true } });
  const run = async (n) => {
    let next = 0;
    let succeeded = 0;
    const started = process.hrtime.bigint();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < n) {
          const execution = machine.run(order(next++), { overrides: { taskResourceLocalHandlers: handlers } });
          await execution.result;
          succeeded++;
        }
      }),
    );
    if (succeeded !== n) throw new Error(`raw: ${n - succeeded} orders did not succeed`);
    return n / (Number(process.hrtime.bigint() - started) / 1e9);
  };
  await run(200); // warm-up: the JIT, as the CLI's process is warm after its first orders
  return run(count);
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

const goal = (met, text) => `${met ? 'met' : 'NOT met'}: goal ${text}`;
const dirs = new Map(modes.map((mode) => [mode, project(mode)]));
const orchestrationDir = dirs.get('orchestration') ?? project('orchestration');
const rawRate = await raw(orchestrationDir);
console.log(
  `raw aws-local-stepfunctions (same workflow and bundles, in-process handlers): ${count} orders at ${concurrency} in flight = ${rawRate.toFixed(0)} orders/s`,
);
const rates = new Map();
// Orchestration first: events' goal is measured against its rate (BENCH_MODES may list events first).
for (const [mode, dir] of [...dirs].sort(([a], [b]) => Number(b === 'orchestration') - Number(a === 'orchestration'))) {
  const ms = fulfill(dir, ['send-order', '--count', String(count), '--concurrency', String(concurrency)]);
  const rate = count / (ms / 1000);
  rates.set(mode, rate);
  const ratio = rate / rawRate;
  const target =
    mode === 'orchestration'
      ? goal(ratio >= 0.25, '>= 0.25x raw')
      : rates.has('orchestration')
        ? goal(rate >= rates.get('orchestration'), '>= orchestration')
        : 'goal >= orchestration: not measured (BENCH_MODES has no orchestration)';
  console.log(
    `send-order --count ${count} --concurrency ${concurrency} (${mode}): ${(ms / 1000).toFixed(1)} s = ${rate.toFixed(0)} orders/s = ${ratio.toFixed(2)}x raw  [${target}]`,
  );
}
for (const [mode, dir] of dirs) {
  const single = [];
  const version = [];
  for (let i = 0; i < singleRuns + 1; i++) {
    // Alternately, so both see the same load; the first pair warms the file cache.
    const v = fulfill(dir, ['--version']);
    const s = fulfill(dir, ['send-order', '--payment', 'creditCard', '--wait']);
    if (i > 0) {
      version.push(v);
      single.push(s);
    }
  }
  const ratio = median(single) / median(version);
  console.log(
    `send-order --payment creditCard --wait (${mode}): ${median(single).toFixed(0)} ms vs fulfill --version ${median(version).toFixed(0)} ms = ${ratio.toFixed(1)}x  [${goal(ratio <= 1.5, '<= 1.5x fulfill --version')}]  (median of ${singleRuns})`,
  );
}
for (const dir of new Set([...dirs.values(), orchestrationDir])) rmSync(dir, { recursive: true, force: true });
