#!/usr/bin/env node
// `npm run bench`: every benchmark, one after the other, printing plain numbers. Targets live here, not in tests.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const benches = ['startup.js', 'orders.js', 'aws-calls.ts', 'serve.js', 'watch.js', 'soak.js'];
let failed = false;
for (const file of benches) {
  const path = fileURLToPath(new URL(`./${file}`, import.meta.url));
  if (!existsSync(path)) continue;
  // TypeScript benches import the test fakes: run them through tsx.
  const loader = file.endsWith('.ts') ? ['--import', 'tsx'] : [];
  const run = spawnSync(process.execPath, [...loader, path, ...process.argv.slice(2)], { stdio: 'inherit' });
  if (run.status !== 0) {
    failed = true;
    process.stderr.write(`bench: ${file} exited with ${run.status}\n`);
  }
}
process.exit(failed ? 1 : 0);
