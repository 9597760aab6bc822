import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, tempDir, templateProject, type CliResult } from '../helpers/cli.js';

/** One line on stderr starting with "Error:", optional "→" suggestion lines, no stack trace. */
function expectOneLineError(run: CliResult, pattern: RegExp) {
  expect(run.code).toBe(2);
  const lines = run.stderr.trim().split('\n');
  expect(lines[0]).toMatch(/^Error: /);
  expect(lines[0]).toMatch(pattern);
  expect(lines.slice(1).every((l) => l.trim().startsWith('→'))).toBe(true);
  expect(run.stderr).not.toMatch(/\n\s+at /);
}

describe('bad input gets a one-line error and exit code 2', () => {
  const tmp = tempDir();
  let n = 0;
  const project = (mutate?: (dir: string) => void) => {
    const dir = join(tmp.dir, `p${n++}`);
    templateProject(dir);
    mutate?.(dir);
    return dir;
  };
  const edit = (dir: string, file: string, change: (text: string) => string) => writeFileSync(join(dir, file), change(readFileSync(join(dir, file), 'utf8')));
  let deployed: string;

  beforeAll(async () => {
    deployed = project();
    expect((await runCli(['deploy'], { cwd: deployed })).code).toBe(0);
  });
  afterAll(() => tmp.cleanup());

  it('a broken fulfill.config.json names the file and field', async () => {
    const dir = project((d) => edit(d, 'fulfill.config.json', (t) => t.replace('"stage": "test"', '"stage": "Prod 1"')));
    expectOneLineError(await runCli(['deploy'], { cwd: dir }), /fulfill\.config\.json: "stage" must be .* \(got "Prod 1"\)/);
    const syntax = project((d) => writeFileSync(join(d, 'fulfill.config.json'), '{ "app": '));
    expectOneLineError(await runCli(['deploy'], { cwd: syntax }), /fulfill\.config\.json: not valid JSON/);
  });

  it('an invalid ASL file is refused with the validator’s reason', async () => {
    const dir = project((d) => edit(d, 'workflow.asl.json', (t) => t.replace('"Type": "Choice"', '"Type": "Chooser"')));
    expectOneLineError(await runCli(['deploy', '--mode', 'orchestration'], { cwd: dir }), /workflow\.asl\.json: invalid Amazon States Language: .*\/States\/SellerType\/Type/);
  });

  it('a Task naming a missing handler is refused', async () => {
    const dir = project((d) => edit(d, 'workflow.asl.json', (t) => t.replace('${function:calculate-fee}', '${function:calculate-fees}')));
    expectOneLineError(await runCli(['deploy'], { cwd: dir }), /Task state "CalculateFee" names handler "calculate-fees", which does not exist/);
  });

  it('a handler that does not compile names the file and line', async () => {
    const dir = project((d) => edit(d, 'handlers/select-warehouse.ts', (t) => t.replace('return warehouseFor', 'return = warehouseFor')));
    expectOneLineError(await runCli(['deploy'], { cwd: dir }), /handlers\/select-warehouse\.ts:\d+:\d+: handler "select-warehouse" does not compile/);
  });

  it.each([
    [['--quantity', '0'], /--quantity must be at least 1 \(got 0\)/],
    [['--price', 'abc'], /--price must be a number \(got "abc"\)/],
    [['--price', '-5'], /--price must be greater than 0/],
    [['--ship-to', 'Germany'], /--ship-to must be an ISO 3166 alpha-2 code/],
    [['--order-id', 'has space'], /--order-id must be 1-80 letters/],
  ])('send-order %j', async (args, pattern) => {
    expectOneLineError(await runCli(['send-order', ...args], { cwd: deployed }), pattern);
  });

  it('an --file that is not valid JSON, or not a valid order', async () => {
    writeFileSync(join(deployed, 'broken.json'), '{"orderId": ');
    expectOneLineError(await runCli(['send-order', '--file', 'broken.json'], { cwd: deployed }), /broken\.json: not valid JSON/);
    writeFileSync(join(deployed, 'empty-items.json'), JSON.stringify({ customerId: 'c', paymentInstrumentType: 'creditCard', sellerId: 'shop', currency: 'EUR', items: [], shipTo: { country: 'DE', postalCode: '1' } }));
    expectOneLineError(await runCli(['send-order', '--file', 'empty-items.json'], { cwd: deployed }), /empty-items\.json: "items" must contain at least one item/);
    expectOneLineError(await runCli(['send-order', '--file', 'missing.json'], { cwd: deployed }), /--file missing\.json: cannot read the file/);
  });

  it('send-order and logs before deploy', async () => {
    const dir = project();
    expectOneLineError(await runCli(['send-order'], { cwd: dir }), /stage "test" is not deployed on the local target/);
    expectOneLineError(await runCli(['logs'], { cwd: dir }), /stage "test" is not deployed/);
  });

  it('no project at all, and an unknown flag value', async () => {
    expectOneLineError(await runCli(['deploy'], { cwd: tmp.dir }), /fulfill\.config\.json not found/);
    const badMode = await runCli(['deploy', '--mode', 'choreo'], { cwd: deployed });
    expect(badMode.code).toBe(2);
    expect(badMode.stderr).not.toMatch(/\n\s+at /);
    expectOneLineError(await runCli(['logs', '--since', 'yesterday'], { cwd: deployed }), /--since must be a duration/);
  });

  it('errors come as a JSON envelope under --json, with the same exit code', async () => {
    const run = await runCli(['send-order', '--quantity', '0', '--json'], { cwd: deployed });
    expect(run.code).toBe(2);
    expect(JSON.parse(run.stdout)).toMatchObject({ status: 2, error: { code: 'BadInput', message: expect.stringMatching(/--quantity/) } });
  });

  it('--debug adds the stack trace', async () => {
    const run = await runCli(['send-order', '--quantity', '0', '--debug'], { cwd: deployed });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/\n\s+at /);
  });

  it('init refuses a non-empty folder unless --force', async () => {
    const dir = project();
    expectOneLineError(await runCli(['init', dir, '--yes'], { cwd: tmp.dir }), /is not empty/);
    expect((await runCli(['init', dir, '--yes', '--force', '--name', 'forced'], { cwd: tmp.dir })).code).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'fulfill.config.json'), 'utf8')).app).toBe('forced');
  });
});
