#!/usr/bin/env node
// `fulfill serve` under a bounded loopback burst, per mode: POST /orders throughput and latency (p50/p99)
// from a separate client process, then the time until every order's outcome is recorded.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../bin/run.js', import.meta.url));
const Database = createRequire(import.meta.url)('libsql');
const total = Number(process.env.BENCH_REQUESTS ?? 500);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 20);
const modes = (process.env.BENCH_MODES ?? 'orchestration,events').split(',');
const agent = new Agent({ keepAlive: true, maxSockets: concurrency });

function post(url, body) {
  return new Promise((resolve, reject) => {
    const u = new URL('/orders', url);
    const started = process.hrtime.bigint();
    const req = request(
      {
        host: u.hostname,
        port: u.port,
        path: u.pathname,
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json' },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode, ms: Number(process.hrtime.bigint() - started) / 1e6 }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

for (const mode of modes) {
  const dir = mkdtempSync(join(tmpdir(), `fulfill-bench-serve-${mode}-`));
  const run = (...args) => {
    const r = spawnSync(process.execPath, [bin, ...args], { cwd: dir, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`fulfill ${args.join(' ')}: ${r.stderr}`);
  };
  run('init', '.', '--name', 'bench', '--mode', mode, '--yes', '--force');
  // The burst measures the runtime, not the API's throttle (`api.throttle`, 429 beyond it): lift it.
  const configFile = join(dir, 'fulfill.config.json');
  const config = JSON.parse(readFileSync(configFile, 'utf8'));
  config.api = { ...config.api, throttle: { rateLimit: 1_000_000, burstLimit: 1_000_000 } };
  writeFileSync(configFile, JSON.stringify(config, null, 2));
  run('deploy');
  const server = spawn(process.execPath, [bin, 'serve', '--port', '0'], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, NO_COLOR: '1' },
  });
  const url = await new Promise((resolve) => {
    let out = '';
    server.stdout.on('data', (c) => {
      out += c;
      const m = /on (http:\/\/\S+) —/.exec(out);
      if (m) resolve(m[1]);
    });
  });
  server.stdout.resume();
  // Warm-up: one order through every function.
  await post(url, JSON.stringify(order(`warm-${mode}`, 0)));
  await new Promise((r) => setTimeout(r, 500));
  const latencies = [];
  let next = 0;
  let errors = 0;
  let accepted = 0;
  const start = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const i = next++;
        const res = await post(url, JSON.stringify(order(`b-${mode}-${i}`, i)));
        if (res.status !== 200) errors++;
        else accepted++;
        latencies.push(res.ms);
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const outcomes = () => {
    const db = new Database(join(dir, '.fulfill/local/dev/state.db'), { timeout: 10_000 });
    try {
      return Number(db.prepare('SELECT count(*) AS n FROM outcomes').get().n);
    } finally {
      db.close();
    }
  };
  // Every accepted order (and the warm-up one) ends with one outcome; bounded, so a lost order cannot hang it.
  const deadline = Date.now() + 300_000;
  while (outcomes() < accepted + 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  const lost = accepted + 1 - outcomes();
  const allDone = Number(process.hrtime.bigint() - start) / 1e9;
  latencies.sort((a, b) => a - b);
  console.log(
    `serve (${mode}): ${total} POST /orders at ${concurrency} concurrent in ${seconds.toFixed(2)} s = ${(total / seconds).toFixed(0)} req/s; latency p50 ${pct(latencies, 50).toFixed(1)} ms, p99 ${pct(latencies, 99).toFixed(1)} ms, max ${latencies.at(-1).toFixed(1)} ms; ${errors} errors; ${lost > 0 ? `${lost} accepted orders without an outcome after` : 'all outcomes recorded after'} ${allDone.toFixed(2)} s`,
  );
  server.kill('SIGTERM');
  await new Promise((r) => server.once('exit', r));
  rmSync(dir, { recursive: true, force: true });
}
agent.destroy();

function order(orderId, i) {
  return {
    orderId,
    customerId: `c-${i}`,
    paymentInstrumentType: i % 4 === 3 ? 'giftCard' : 'creditCard',
    sellerId: i % 2 ? 'seller-7' : 'shop',
    currency: 'EUR',
    items: [{ sku: 'sku-1', quantity: 1 + (i % 5), unitPrice: 9.99 }],
    shipTo: { country: ['DE', 'FR', 'US', 'JP'][i % 4], postalCode: '10115' },
  };
}
