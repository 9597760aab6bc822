import { afterAll, describe, expect, it } from '@jest/globals';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../src/lib/config/schema.js';
import { LocalTarget } from '../../src/lib/targets/local.js';
import type { RedeployReport, WatchReport } from '../../src/lib/targets/target.js';
import { tempDir, templateProject } from '../helpers/cli.js';

// The watch loop in process (events mode; the e2e test runs the command in orchestration mode).
describe('deploy --watch in events mode (the target layer, in process)', () => {
  const tmp = tempDir('fulfill-watch-stage-');
  const dir = templateProject(join(tmp.dir, 'shop'), { mode: 'events' });
  afterAll(() => tmp.cleanup());

  it('bundles again only what a change touches, and records it in the stage', async () => {
    const target = new LocalTarget(dir, loadConfig(dir), 'test');
    const controller = new AbortController();
    const reports: RedeployReport[] = [];
    let watching: (paths: string[]) => void = () => {};
    const ready = new Promise<string[]>((resolve) => (watching = resolve));
    const done: Promise<WatchReport> = target.watch({
      allowCycles: false,
      allowFlowErrors: false,
      signal: controller.signal,
      firstDeploy: async (plan) => {
        for (const step of plan.steps) await step.run();
      },
      onWatching: ({ paths }) => watching(paths),
      onRedeploy: (report) => reports.push(report),
    });
    expect(await ready).toEqual(['fulfill.config.json', 'handlers', 'workflow.asl.json', 'events.json']);
    const until = async (count: number) => {
      for (const deadline = Date.now() + 60_000; reports.length < count && Date.now() < deadline;)
        await new Promise((r) => setTimeout(r, 20));
      expect(reports).toHaveLength(count);
      return reports[count - 1];
    };

    const fee = join(dir, 'handlers/calculate-fee.ts');
    writeFileSync(
      fee,
      readFileSync(fee, 'utf8').replace('const rate = FEE_RATE[order.fulfillment.by];', 'const rate = 0.3;'),
    );
    const edited = await until(1);
    expect(edited).toMatchObject({
      changed: ['handlers/calculate-fee.ts'],
      rebundled: ['calculate-fee'],
      mode: 'events',
    });
    expect(edited.error).toBeUndefined();
    expect(edited.changes.map((c) => [c.resource, c.action])).toEqual([
      ['fulfill-test-shop-test-calculate-fee', 'updated'],
    ]);
    const bundle = readFileSync(join(dir, '.fulfill/local/test/build/calculate-fee.cjs'), 'utf8');
    expect(bundle).toContain('0.3');

    // A rule edit in events.json: validated and recorded, nothing bundled again.
    const events = join(dir, 'events.json');
    const flow = JSON.parse(readFileSync(events, 'utf8')) as { rules: Array<{ description?: string }> };
    flow.rules[0].description = 'A placed order gets its payment authorized (edited).';
    writeFileSync(events, JSON.stringify(flow, null, 2));
    const rule = await until(2);
    expect(rule.error).toBeUndefined();
    expect(rule.rebundled).toEqual([]);
    expect(rule.changes).toEqual([expect.objectContaining({ kind: 'rule', action: 'updated' })]);

    // An events.json that is not JSON: one error, the stage keeps the last good deployment.
    writeFileSync(events, '{ "rules": [');
    const broken = await until(3);
    expect(String((broken.error as Error).message)).toMatch(/^events\.json/);

    controller.abort();
    expect(await done).toMatchObject({ redeploys: 2, failed: 1, deployed: { mode: 'events' } });
  }, 120_000);
});
