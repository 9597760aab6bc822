#!/usr/bin/env node
// CLI start-up against bare Node: median wall time of `fulfill --version` / `fulfill --help` vs `node -e 0`,
// run alternately (on a shared machine the load changes between runs; alternating gives each the same).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../bin/run.js', import.meta.url));
const runs = Number(process.env.BENCH_RUNS ?? 15);
// `badInput`: a flag error, answered after oclif parses the flags and before any runtime is loaded (exit 2).
const commands = {
  node: ['-e', '0'],
  version: [bin, '--version'],
  help: [bin, '--help'],
  badInput: [bin, 'send-order', '--quantity', '0'],
};
const expectedExit = { badInput: 2 };
const times = { node: [], version: [], help: [], badInput: [] };

for (let i = 0; i < runs + 2; i++) {
  for (const [name, args] of Object.entries(commands)) {
    const start = process.hrtime.bigint();
    const r = spawnSync(process.execPath, args, { stdio: 'ignore', env: { ...process.env, NO_COLOR: '1' } });
    if (r.status !== (expectedExit[name] ?? 0)) throw new Error(`${args.join(' ')} exited ${r.status}`);
    if (i >= 2) times[name].push(Number(process.hrtime.bigint() - start) / 1e6); // two warm-up rounds
  }
}
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const [node, version, help, badInput] = [times.node, times.version, times.help, times.badInput].map(median);
const met = version / node <= 2.5 ? 'met' : 'NOT met';
const ratio = (ms, base) => `${(ms / base).toFixed(2)}x`;
console.log(
  [
    `startup: node -e 0 ${node.toFixed(0)} ms`,
    `fulfill --version ${version.toFixed(0)} ms (${ratio(version, node)}  [${met}: goal <= 2.5x])`,
    `fulfill --help ${help.toFixed(0)} ms (${ratio(help, node)})`,
    // The floor of any command oclif runs: parsed, refused, no runtime loaded.
    `send-order --quantity 0 ${badInput.toFixed(0)} ms ` +
      `(${ratio(badInput, node)}, ${ratio(badInput, version)} --version)  [median of ${runs}]`,
  ].join(' | '),
);
