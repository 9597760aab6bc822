#!/usr/bin/env node
// The README quick start's main job: scaffold a project in a temp folder, deploy it on the local target,
// send one order that succeeds and one that fails, and print their logs. Exits non-zero if any step does
// not do what it says (each send-order carries --expect).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../bin/run.js', import.meta.url));
const mode = process.argv[2] ?? 'orchestration';
const dir = mkdtempSync(join(tmpdir(), 'fulfill-demo-'));
const project = join(dir, 'shop');

function fulfill(...args) {
  process.stdout.write(`\n$ fulfill ${args.join(' ')}\n`);
  const run = spawnSync(process.execPath, [bin, ...args], {
    cwd: args[0] === 'init' ? dir : project,
    stdio: 'inherit',
    env: { ...process.env },
  });
  if (run.status !== 0) {
    process.stderr.write(`demo: \`fulfill ${args.join(' ')}\` exited with ${run.status}; project left in ${project}\n`);
    process.exit(run.status ?? 1);
  }
}

fulfill('init', 'shop', '--name', 'demo-shop', '--mode', mode, '--yes');
fulfill('deploy', '--mode', mode);
fulfill('send-order', '--payment', 'creditCard', '--order-id', 'demo-ok', '--wait', '--expect', 'succeeded');
fulfill('send-order', '--payment', 'giftCard', '--order-id', 'demo-failed', '--wait', '--expect', 'failed');
fulfill(
  'send-order',
  '--file',
  'orders/credit-card-3p.json',
  '--order-id',
  'demo-3p',
  '--wait',
  '--expect',
  'succeeded',
);
fulfill('logs', '--order', 'demo-ok');
fulfill('logs', '--order', 'demo-failed');
rmSync(dir, { recursive: true, force: true });
process.stdout.write(`\ndemo: ${mode} mode on the local target worked end to end.\n`);
