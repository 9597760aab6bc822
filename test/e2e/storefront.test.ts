import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { runCli, tempDir, templateProject, TEMPLATE } from '../helpers/cli.js';
import { startServe, type RunningServer } from '../helpers/serve.js';

// Debian's chromium (installed by .ci/run), driven by playwright-core.
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];

/** A static server for the storefront folder on another origin (another port). */
async function staticOrigin(): Promise<{ origin: string; server: Server }> {
  const dir = join(TEMPLATE, 'storefront');
  const server = createServer((req, res) => {
    const file = join(dir, new URL(req.url ?? '/', 'http://x').pathname === '/' ? 'index.html' : new URL(req.url!, 'http://x').pathname);
    if (!file.startsWith(dir) || !existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css' }[extname(file)] ?? 'text/plain' });
    res.end(readFileSync(file));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

async function placeOrder(page: Page, payment: string, item = 0): Promise<string> {
  await page.locator(`input[name=item][value="${item}"]`).check();
  await page.selectOption('#payment', payment);
  await page.click('#place');
  // Runs in the page (a string, so the tests need no DOM typings).
  await page.waitForFunction(`/SUCCEEDED|FAILED|error/.test(document.querySelector('#status')?.className ?? '')`, undefined, { timeout: 20_000 });
  return (await page.textContent('#status')) ?? '';
}

// CI (CI=true, where .ci/run installs Chromium) always runs it; a laptop without Chromium skips it, loudly.
const haveBrowser = existsSync(CHROMIUM) || process.env.CI === 'true';
if (!haveBrowser) console.warn(`storefront browser tests skipped: no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`);

(haveBrowser ? describe.each(['orchestration', 'events'] as const) : describe.skip.each(['orchestration', 'events'] as const))('the storefront page in headless Chromium (%s)', (mode) => {
  const tmp = tempDir();
  let browser: Browser;
  let serve: RunningServer;
  let allowed: { origin: string; server: Server };
  let other: { origin: string; server: Server };

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: install it (apt-get install chromium), as .ci/run does, or set CHROMIUM_PATH`);
    allowed = await staticOrigin();
    other = await staticOrigin();
    templateProject(tmp.dir, { mode, api: { corsOrigins: [allowed.origin] } });
    expect((await runCli(['deploy'], { cwd: tmp.dir })).code).toBe(0);
    serve = await startServe(tmp.dir);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await serve?.stop();
    allowed?.server.close();
    other?.server.close();
    tmp.cleanup();
  });

  it('places a credit card order and shows its outcome and timeline', async () => {
    const page = await browser.newPage();
    await page.goto(`${serve.url}/`);
    const status = await placeOrder(page, 'creditCard', 1);
    expect(status).toMatch(/SUCCEEDED/);
    expect(await page.textContent('[data-field=payment]')).toBe('creditCard authorized');
    expect(await page.textContent('[data-field=seller]')).toBe('marketplace-seller-1 (3P)');
    expect(await page.textContent('[data-field=fee]')).toMatch(/^\d+\.\d\d EUR$/);
    expect(await page.locator('#timeline li').count()).toBeGreaterThan(3);
    await page.close();
  });

  it('shows a failing order', async () => {
    const page = await browser.newPage();
    await page.goto(`${serve.url}/`);
    const status = await placeOrder(page, 'giftCard');
    expect(status).toMatch(/FAILED — Payment Authorization Failed/);
    await page.close();
  });

  it('lets a page on another origin call the API only when that origin is configured (CORS)', async () => {
    const page = await browser.newPage();
    await page.goto(`${allowed.origin}/?api=${encodeURIComponent(serve.url)}`);
    expect(await placeOrder(page, 'creditCard')).toMatch(/SUCCEEDED/);
    await page.goto(`${other.origin}/?api=${encodeURIComponent(serve.url)}`);
    const blocked = await placeOrder(page, 'creditCard');
    expect(blocked).toMatch(/Could not place the order: Failed to fetch/);
    await page.close();
  });
});
