#!/usr/bin/env node
// `npm run bench`: the benchmarks one after the other, printing plain numbers with their goals (issue 12).
// Targets live here, not in tests. The default run (a few minutes): start-up, the runtime against raw
// aws-local-stepfunctions (throughput and single-order latency), the soak (10,000 orders per mode: peak RSS,
// bytes on disk per order, look-ups at 100 and 10,000 orders) and the AWS calls of a deploy (on the fake).
// `npm run bench -- --all` adds the in-process orders bench and the `serve` burst.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const all = process.argv.includes('--all');
const benches = [
  'startup.js',
  'throughput.js',
  'soak.js',
  'watch.js',
  'aws-calls.ts',
  ...(all ? ['orders.js', 'serve.js'] : []),
];
let failed = false;
for (const file of benches) {
  const path = fileURLToPath(new URL(`./${file}`, import.meta.url));
  if (!existsSync(path)) continue;
  // TypeScript benches import the test fakes: run them through tsx.
  const loader = file.endsWith('.ts') ? ['--import', 'tsx'] : [];
  const args = process.argv.slice(2).filter((a) => a !== '--all');
  const run = spawnSync(process.execPath, [...loader, path, ...args], { stdio: 'inherit' });
  if (run.status !== 0) {
    failed = true;
    process.stderr.write(`bench: ${file} exited with ${run.status}\n`);
  }
}
process.exit(failed ? 1 : 0);
