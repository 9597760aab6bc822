#!/usr/bin/env node
// CLI start-up against bare Node: median wall time of `fulfill --version` / `fulfill --help` vs `node -e 0`.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../bin/run.js', import.meta.url));
const runs = Number(process.env.BENCH_RUNS ?? 15);

function median(args) {
  const times = [];
  for (let i = 0; i < runs + 2; i++) {
    const start = process.hrtime.bigint();
    const r = spawnSync(process.execPath, args, { stdio: 'ignore', env: { ...process.env, NO_COLOR: '1' } });
    if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}`);
    if (i >= 2) times.push(Number(process.hrtime.bigint() - start) / 1e6); // two warm-up runs
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

const node = median(['-e', '0']);
const version = median([bin, '--version']);
const help = median([bin, '--help']);
console.log(
  `startup: node -e 0 ${node.toFixed(0)} ms | fulfill --version ${version.toFixed(0)} ms (${(version / node).toFixed(1)}x) | fulfill --help ${help.toFixed(0)} ms (${(help / node).toFixed(1)}x)  [median of ${runs}]`,
);
