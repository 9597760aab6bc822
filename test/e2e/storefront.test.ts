import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ROOT, tempDir, templateProject } from '../helpers/cli.js';
import { runInProcess } from '../helpers/in-process.js';
import { startServe, type RunningServer } from '../helpers/serve.js';
import { orderSchema } from '../../src/lib/order/model.js';

// Debian's Chromium (installed by .ci/run), driven by playwright-core: its old headless shell where installed (Debian's
// chromium-headless-shell, the build Playwright itself runs headless), which needs about half the CPU of the full
// browser's headless mode for the same pages (measured: 10 storefront page loads, 3.9 s instead of 7.4 to 8.3 s).
const HEADLESS_SHELL = '/usr/bin/chromium-headless-shell';
const CHROMIUM = process.env.CHROMIUM_PATH ?? (existsSync(HEADLESS_SHELL) ? HEADLESS_SHELL : '/usr/bin/chromium');
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];
// One Chromium for the file (a launch costs seconds of CPU on a loaded machine); every test opens its own page,
// in a context of its own. shop.test is a stand-in for a real host name (still loopback): the page trusts ?api=
// only on localhost.
let browser: Browser;

// FULFILL_SCREENSHOTS=1 rewrites the README's pictures (docs/storefront-*.png) from the orchestration run.
const SCREENSHOTS = process.env.FULFILL_SCREENSHOTS === '1';

interface Product {
  sku: string;
  name: string;
  price: number;
  sellerId: string;
}

/** A project's storefront folder on another origin (another port); `overrides()` replaces files by path. */
async function staticOrigin(
  dir: string,
  overrides: () => Record<string, string> = () => ({}),
): Promise<{ origin: string; server: Server }> {
  const types: Record<string, string> = {
    '.html': 'text/html',
    '.js': 'text/javascript',
    '.css': 'text/css',
    '.json': 'application/json',
  };
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const name = path === '/' ? '/index.html' : path;
    const file = normalize(join(dir, name));
    const replaced = overrides()[name];
    if (replaced !== undefined)
      res.writeHead(200, { 'content-type': types[extname(name)] ?? 'text/plain' }).end(replaced);
    else if (file.startsWith(dir) && existsSync(file))
      res.writeHead(200, { 'content-type': types[extname(file)] ?? 'text/plain' }).end(readFileSync(file));
    else res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/** Rounds half away from zero to cents, as the template's rules do (README: Business rules). */
const cents = (value: number) => Math.round(Number(`${value}e2`)) / 100;
const euro = (value: number) => `€${value.toFixed(2)}`;

async function openShop(page: Page, url: string) {
  await page.goto(url);
  await page.waitForSelector('html[data-ready]');
}

async function addToCart(page: Page, product: Product, quantity: number) {
  await page.getByRole('button', { name: `Add ${product.name} to cart` }).click();
  if (quantity !== 1) {
    const input = page.getByLabel(`Quantity of ${product.name}`).first();
    await input.fill(String(quantity));
    await input.press('Tab');
  }
}

async function checkout(page: Page, customer: { email: string; country: string; postalCode: string; payment: string }) {
  await page.getByRole('link', { name: 'Go to checkout' }).click();
  await page.getByLabel('Email').fill(customer.email);
  await page.getByLabel('Country').selectOption(customer.country);
  await page.getByLabel('Postal code').fill(customer.postalCode);
  await page.getByLabel(customer.payment).check();
  await page.getByRole('button', { name: 'Place order' }).click();
}

/** Waits for the order page to show an answer for every shipment; returns the shipment cards. */
async function answers(page: Page, count: number) {
  await page.waitForSelector('.shipment');
  // Runs in the page (a string, so the tests need no DOM typings).
  await page.waitForFunction(
    `[...document.querySelectorAll('.shipment')].every((s) => s.dataset.status !== 'RUNNING')`,
    undefined,
    { timeout: 60_000, polling: 100 },
  );
  const cards = page.locator('.shipment');
  expect(await cards.count()).toBe(count);
  return cards;
}

/** Presses Tab until the focused element has this accessible text; fails when it is not reachable by keyboard. */
async function tabTo(page: Page, text: string | RegExp, limit = 60) {
  for (let i = 0; i < limit; i++) {
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(
      `(() => {
        const e = document.activeElement;
        if (!e) return '';
        const text = e.getAttribute('aria-label') || e.labels?.[0]?.textContent || e.textContent || '';
        return text.replace(/\\s+/g, ' ').trim();
      })()`,
    );
    if (typeof text === 'string' ? focused === text : text.test(String(focused))) return;
  }
  throw new Error(`${text} is not reachable with the Tab key`);
}

// Every visible text's contrast against its background (WCAG AA: 4.5:1, 3:1 for large text). In the page.
const CONTRAST_FAILURES = `(() => {
  const rgba = (c) => {
    const m = c.match(/[\\d.]+/g).map(Number);
    return { r: m[0], g: m[1], b: m[2], a: m[3] ?? 1 };
  };
  const linear = (v) => (v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  const lum = ({ r, g, b }) => [r, g, b].map(linear)
    .reduce((s, v, i) => s + v * [0.2126, 0.7152, 0.0722][i], 0);
  const mix = (top, under, key) => top[key] * top.a + under[key] * (1 - top.a);
  const over = (top, under) => ({ r: mix(top, under, 'r'), g: mix(top, under, 'g'), b: mix(top, under, 'b'), a: 1 });
  const background = (el) => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const c = rgba(getComputedStyle(e).backgroundColor);
      if (c.a > 0) layers.push(c);
      if (c.a === 1) break;
    }
    return layers.reverse().reduce((under, top) => over(top, under), { r: 255, g: 255, b: 255, a: 1 });
  };
  const failures = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!node.textContent.trim() || !el) continue;
    if (el.closest('.visually-hidden, [hidden], svg') || !el.checkVisibility()) continue;
    const style = getComputedStyle(el);
    const bg = background(el);
    const fg = over(rgba(style.color), bg);
    const [hi, lo] = [lum(fg), lum(bg)].sort((a, b) => b - a);
    const ratio = (hi + 0.05) / (lo + 0.05);
    const size = parseFloat(style.fontSize);
    const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
    if (ratio < (large ? 3 : 4.5)) failures.push(node.textContent.trim().slice(0, 40) + ': ' + ratio.toFixed(2));
  }
  return failures;
})()`;

// Form controls and buttons without an accessible name. In the page.
const UNLABELLED = `[...document.querySelectorAll('input, select, button, a[href]')].filter((e) => e.checkVisibility())
  .filter((e) => !(e.labels?.length || e.getAttribute('aria-label') || e.getAttribute('aria-labelledby')
    || e.textContent.trim()))
  .map((e) => e.outerHTML.slice(0, 80))`;

// CI (CI=true, where .ci/run installs Chromium) always runs it; a laptop without Chromium skips it, loudly.
const haveBrowser = existsSync(CHROMIUM) || process.env.CI === 'true';
if (!haveBrowser)
  console.warn(
    `storefront browser tests skipped: no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`,
  );

/** A group of tests that share one set-up: the tests are registered by the file, all in one concurrent group. */
interface TestGroup {
  title: string;
  setUp: () => Promise<void>;
  tearDown: () => Promise<void>;
  tests: [title: string, run: () => Promise<void>][];
}

/** One deployed local stage in this mode, served by `fulfill serve`, with its storefront on three other origins. */
function deployedStage(mode: 'orchestration' | 'events'): TestGroup {
  const tests: TestGroup['tests'] = [];
  const stageTest = (title: string, run: () => Promise<void>) => tests.push([title, run]);
  const tmp = tempDir();
  let serve: RunningServer;
  let origins: Record<'shop' | 'query' | 'other', { origin: string; server: Server }>;
  let products: Record<string, Product>;
  // The slow customer's order waits in select-warehouse until the test has seen it running and creates this file.
  const release = join(tmp.dir, 'release-slow-order');

  const setUp = async () => {
    templateProject(tmp.dir, { mode });
    const storefront = join(tmp.dir, 'storefront');
    const catalog = JSON.parse(readFileSync(join(storefront, 'catalog.json'), 'utf8')) as { products: Product[] };
    products = Object.fromEntries(catalog.products.map((p) => [p.sku, p]));
    // Storefronts hosted apart from the API: "shop" finds it in config.json; "query" has a dead address there (so
    // only ?api= can work); both are in api.corsOrigins. "other" is not.
    origins = {
      shop: await staticOrigin(storefront, () => ({
        '/config.json': JSON.stringify({ apiBase: `${serve.url}/orders` }),
      })),
      query: await staticOrigin(storefront, () => ({
        '/config.json': JSON.stringify({ apiBase: 'http://127.0.0.1:9/' }),
      })),
      other: await staticOrigin(storefront),
    };
    templateProject(tmp.dir, { mode, api: { corsOrigins: [origins.shop.origin, origins.query.origin] } });
    // One customer's 1P orders wait in select-warehouse (until the test releases them, at most 8 s: the function
    // timeout is 10 s), so the page can be seen while the order runs.
    const handler = join(tmp.dir, 'handlers', 'select-warehouse.ts');
    const wait =
      "  if (order.customerId === 'slow@example.com') {\n" +
      "    const { existsSync } = await import('node:fs');\n" +
      `    for (let i = 0; i < 160 && !existsSync(${JSON.stringify(release)}); i++)\n` +
      '      await new Promise((r) => setTimeout(r, 50));\n' +
      '  }\n';
    writeFileSync(
      handler,
      readFileSync(handler, 'utf8').replace('{\n  return warehouseFor', `{\n${wait}  return warehouseFor`),
    );
    expect(readFileSync(handler, 'utf8')).toContain('slow@example.com');
    expect((await runInProcess(['deploy'], { cwd: tmp.dir })).code).toBe(0);
    serve = await startServe(tmp.dir);
  };
  const tearDown = async () => {
    writeFileSync(release, '');
    await serve?.stop();
    for (const { server } of Object.values(origins ?? {})) server.close();
    tmp.cleanup();
  };

  stageTest('buys a first-party and a marketplace product from a second origin and shows both answers', async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 820 } });
    await openShop(page, `${origins.shop.origin}/`);
    const mug = products['mug-stoneware'];
    const lamp = products['lamp-oak'];
    await addToCart(page, mug, 2);
    await addToCart(page, lamp, 1);
    expect(await page.textContent('#cart-count')).toBe('3');
    expect(await page.locator('#cart-panel [data-total]').textContent()).toBe(euro(cents(mug.price * 2 + lamp.price)));
    if (SCREENSHOTS && mode === 'orchestration') await shoot(page, 'storefront-catalog.png');
    await checkout(page, { email: 'ada@example.com', country: 'FR', postalCode: '69001', payment: 'Credit card' });

    const cards = await answers(page, 2);
    const [firstParty, marketplace] = [cards.nth(0), cards.nth(1)];
    expect(await firstParty.getAttribute('data-status')).toBe('SUCCEEDED');
    expect(await firstParty.locator('[data-headline]').textContent()).toBe(
      'Confirmed. Ships from our warehouse in Lyon, France (LYS1).',
    );
    expect(await firstParty.locator('[data-field=payment]').textContent()).toMatch(
      new RegExp(`^Credit card, authorized: ${euro(mug.price * 2)}`),
    );
    expect(await firstParty.locator('[data-field=seller]').textContent()).toBe('Harbor Goods');
    expect(await firstParty.locator('[data-field=fee]').count()).toBe(0);
    expect(await firstParty.locator('[data-invoice]').allTextContents()).toEqual([
      expect.stringMatching(/Invoice .*-1-C\s+from Harbor Goods to you\s*€37\.00/),
    ]);
    expect(await firstParty.locator('.step.done').count()).toBe(5);

    // A marketplace order inside the shop's network and at most 10 units: the shop ships it, the seller pays 15 %.
    expect(await marketplace.getAttribute('data-status')).toBe('SUCCEEDED');
    expect(await marketplace.locator('[data-field=seller]').textContent()).toBe('Lumen & Co, marketplace seller');
    expect(await marketplace.locator('[data-field=shipping]').textContent()).toBe(
      'Ships from our warehouse in Lyon, France (LYS1)',
    );
    const fee = cents(lamp.price * 0.15);
    expect(await marketplace.locator('[data-field=fee]').textContent()).toMatch(
      new RegExp(`^${euro(fee)} \\(15 %\\)Paid by Lumen & Co to Harbor Goods`),
    );
    const invoices = await marketplace.locator('[data-invoice]').allTextContents();
    expect(invoices).toEqual([
      expect.stringMatching(new RegExp(`^Invoice .*-2-C\\s+from Lumen & Co to you\\s*${euro(lamp.price)}$`)),
      expect.stringMatching(
        new RegExp(`^Seller fee invoice .*-2-F\\s+from Harbor Goods to Lumen & Co\\s*${euro(fee)}$`),
      ),
    ]);
    expect(await page.textContent('#cart-count')).toBe('0');

    // The same answers as the API gives (read from the test, not the page), processed in this mode.
    const ids = await page
      .locator('.shipment')
      .evaluateAll((cards) => cards.map((c) => (c as unknown as { dataset: { order: string } }).dataset.order));
    const viaApi = await Promise.all(
      ids.map(
        async (id) =>
          (await (await fetch(`${serve.url}/orders/${id}`)).json()) as {
            outcome: { mode: string; fee: { amount: number } | null };
          },
      ),
    );
    expect(viaApi.map((v) => v.outcome.mode)).toEqual([mode, mode]);
    expect(viaApi[1].outcome.fee!.amount).toBe(fee);

    // The developer timeline is behind a toggle.
    const toggle = page.locator('#dev-toggle');
    expect(await toggle.textContent()).toMatch(/Show developer details/);
    expect(await page.locator('#dev-panel').isHidden()).toBe(true);
    if (SCREENSHOTS && mode === 'orchestration') await shoot(page, 'storefront-order.png');
    await toggle.click();
    expect(await toggle.getAttribute('aria-expanded')).toBe('true');
    expect(await toggle.textContent()).toMatch(/Hide developer details/);
    const rows = page.locator(`[data-dev-timeline="${ids[1]}"] tr`);
    expect(await rows.count()).toBeGreaterThan(5);
    expect(await rows.allTextContents()).toContainEqual(
      expect.stringContaining(mode === 'orchestration' ? 'ExecutionSucceeded' : 'OrderCompleted'),
    );
    expect(await page.locator(`[data-dev-status="${ids[1]}"]`).textContent()).toContain(`SUCCEEDED · ${mode}`);
    await page.close();
  });

  stageTest(
    'takes the API from ?api= over config.json; a seller ships a marketplace order outside the network',
    async () => {
      const page = await browser.newPage();
      try {
        await openShop(page, `${origins.query.origin}/?api=${encodeURIComponent(serve.url)}`);
        const headphones = products['headphones-wl2'];
        await addToCart(page, headphones, 1);
        await checkout(page, {
          email: 'grace@example.com',
          country: 'JP',
          postalCode: '100-0001',
          payment: 'Credit card',
        });
        const card = (await answers(page, 1)).first();
        expect(await card.getAttribute('data-status')).toBe('SUCCEEDED');
        expect(await card.locator('[data-headline]').textContent()).toBe('Confirmed. Shipped by Soundbay Audio.');
        expect(await card.locator('[data-field=shipping]').textContent()).toBe('Shipped by Soundbay Audio');
        expect(await card.locator('[data-field=fee]').textContent()).toMatch(
          new RegExp(`^${euro(cents(headphones.price * 0.08))} \\(8 %\\)`),
        );
        expect(await page.locator('.step[data-step=shipping] .step-detail').textContent()).toBe('by Soundbay Audio');
        // One shipment: the order number is the order id.
        expect(await page.locator('.order-number strong').textContent()).toBe(await card.getAttribute('data-order'));
        // The address in config.json really is dead: without ?api= the same page cannot order.
        await openShop(page, `${origins.query.origin}/`);
        await addToCart(page, headphones, 1);
        await checkout(page, {
          email: 'grace@example.com',
          country: 'JP',
          postalCode: '100-0001',
          payment: 'Credit card',
        });
        await expect(page.getByRole('alert').textContent()).resolves.toMatch(
          /We could not reach the order service, so nothing was ordered or charged/,
        );
      } finally {
        await page.close();
      }
    },
  );

  stageTest(
    'shows a declined payment on the page fulfill serve serves; a retry with a credit card succeeds',
    async () => {
      const page = await browser.newPage();
      await openShop(page, `${serve.url}/`);
      const notebook = products['notebook-a5'];
      await addToCart(page, notebook, 3);
      await checkout(page, { email: 'linus@example.com', country: 'DE', postalCode: '10115', payment: 'Gift card' });
      const card = (await answers(page, 1)).first();
      expect(await card.getAttribute('data-status')).toBe('FAILED');
      expect(await card.locator('[data-headline]').textContent()).toBe('Payment declined. You have not been charged.');
      expect(await card.locator('[data-field=payment]').textContent()).toBe(
        'Gift card, declined (Payment Authorization Failed)',
      );
      expect(await card.locator('.step[data-step=payment]').getAttribute('class')).toContain('failed');
      expect(await card.locator('.step.skipped').count()).toBe(3);
      expect(await card.locator('[data-invoice]').count()).toBe(0);
      expect(await card.locator('[data-headline]').getAttribute('role')).toBe('status');

      await page.getByRole('button', { name: 'Try another payment method' }).click();
      expect(await page.locator('h1').textContent()).toBe('Checkout');
      expect(await page.getByLabel(`Quantity of ${notebook.name}`).inputValue()).toBe('3');
      // The address is remembered for the session; only the payment method changes.
      expect(await page.getByLabel('Postal code').inputValue()).toBe('10115');
      await page.getByLabel('Credit card').check();
      await page.getByRole('button', { name: 'Place order' }).click();
      const retried = (await answers(page, 1)).first();
      expect(await retried.getAttribute('data-status')).toBe('SUCCEEDED');
      expect(await retried.locator('[data-field=shipping]').textContent()).toBe(
        'Ships from our warehouse in Frankfurt, Germany (FRA1)',
      );
      expect(await retried.locator('[data-field=payment]').textContent()).toMatch(
        new RegExp(`^Credit card, authorized: ${euro(cents(notebook.price * 3))}`),
      );
      await page.close();
    },
  );

  stageTest('moves the progress along while the order runs, from the timeline', async () => {
    const page = await browser.newPage();
    await openShop(page, `${serve.url}/`);
    await addToCart(page, products['book-978-0321125217'], 1);
    await checkout(page, { email: 'slow@example.com', country: 'IE', postalCode: 'D02 X285', payment: 'Credit card' });
    const card = page.locator('.shipment').first();
    try {
      // While select-warehouse waits: payment done, shipping being arranged, no answer yet.
      await page.waitForFunction(
        `document.querySelector('.step[data-step=payment]')?.classList.contains('done')`,
        undefined,
        { polling: 100 },
      );
      expect(await card.getAttribute('data-status')).toBe('RUNNING');
      expect(await card.locator('[data-headline]').textContent()).toBe('Processing your order…');
      expect(await card.locator('.step[data-step=shipping]').getAttribute('aria-current')).toBe('step');
      expect(await card.locator('.step[data-step=shipping] .step-label').textContent()).toMatch(/^Arranging shipping/);
      expect(await card.locator('[data-field]').count()).toBe(0);
    } finally {
      writeFileSync(release, '');
    }
    expect(await (await answers(page, 1)).first().getAttribute('data-status')).toBe('SUCCEEDED');
    expect(await card.locator('[data-field=shipping]').textContent()).toBe(
      'Ships from our warehouse in Manchester, United Kingdom (MAN1)',
    );
    expect(await card.locator('[aria-current]').count()).toBe(0);
    await page.close();
  });

  stageTest('shows the shipments the API accepted and names the one it refused', async () => {
    // A catalogue entry the order schema refuses (sku longer than 64 characters) for one marketplace seller.
    const catalog = JSON.parse(readFileSync(join(tmp.dir, 'storefront', 'catalog.json'), 'utf8')) as {
      products: Product[];
    };
    const broken = { ...products['headphones-wl2'], sku: 'x'.repeat(65), name: 'Broken headphones' };
    const page = await browser.newPage();
    // Only this page gets it (the other tests use the same origin at the same time).
    await page.route('**/catalog.json', (route) =>
      route.fulfill({
        contentType: 'application/json',
        body: JSON.stringify({ ...catalog, products: [...catalog.products, broken] }),
      }),
    );
    try {
      await openShop(page, `${origins.shop.origin}/`);
      await addToCart(page, products['mug-stoneware'], 1);
      await addToCart(page, broken, 1);
      await checkout(page, { email: 'ada@example.com', country: 'DE', postalCode: '10115', payment: 'Credit card' });
      expect(await (await answers(page, 1)).first().getAttribute('data-status')).toBe('SUCCEEDED');
      expect(await page.getByRole('alert').textContent()).toMatch(
        /^Part of the order was not accepted: Soundbay Audio: Invalid request body: items\[0\]\.sku: /,
      );
      // The refused shipment stays in the cart.
      expect(await page.textContent('#cart-count')).toBe('1');
    } finally {
      await page.close();
    }
  });

  stageTest('refuses orders from an origin that is not in api.corsOrigins, and keeps the cart', async () => {
    const page = await browser.newPage();
    await openShop(page, `${origins.other.origin}/?api=${encodeURIComponent(serve.url)}`);
    await addToCart(page, products['mug-stoneware'], 1);
    await checkout(page, { email: 'ada@example.com', country: 'DE', postalCode: '10115', payment: 'Credit card' });
    await expect(page.getByRole('alert').textContent()).resolves.toBe(
      'We could not reach the order service, so nothing was ordered or charged. Please try again. (Failed to fetch)',
    );
    expect(await page.textContent('#cart-count')).toBe('1');
    expect(await page.locator('h1').textContent()).toBe('Checkout');
    await page.close();
  });

  stageTest('checks the form before ordering and can be used with the keyboard only', async () => {
    const page = await browser.newPage();
    await openShop(page, `${serve.url}/`);
    await tabTo(page, 'Add Domain-Driven Design to cart');
    await page.keyboard.press('Enter');
    await page.waitForFunction(
      `document.querySelector('#announcer').textContent.startsWith('Added Domain-Driven Design to your cart.')`,
    );
    await tabTo(page, 'One more Domain-Driven Design');
    await page.keyboard.press('Enter');
    expect(await page.getByLabel('Quantity of Domain-Driven Design').inputValue()).toBe('2');
    await tabTo(page, 'Go to checkout');
    await page.keyboard.press('Enter');
    await page.waitForFunction(`document.activeElement?.textContent === 'Checkout'`);
    // Submitting empty fields names them and puts the focus on the first.
    await tabTo(page, 'Place order');
    await page.keyboard.press('Enter');
    expect(await page.locator('#email-error').textContent()).toBe('Enter your email address.');
    expect(await page.getByLabel('Email').getAttribute('aria-invalid')).toBe('true');
    expect(await page.evaluate(`document.activeElement.id`)).toBe('email');
    await page.keyboard.type('not-an-email');
    await tabTo(page, 'Place order');
    await page.keyboard.press('Enter');
    expect(await page.locator('#email-error').textContent()).toBe('Enter an email address like name@example.com.');
    await page.keyboard.press('Control+A');
    await page.keyboard.type('ada@example.com');
    await tabTo(page, 'Postal code');
    await page.keyboard.type('10115');
    await tabTo(page, 'Place order');
    await page.keyboard.press('Enter');
    expect(await (await answers(page, 1)).first().getAttribute('data-status')).toBe('SUCCEEDED');
    expect(await page.evaluate(`document.activeElement?.textContent`)).toBe('Your order');
    expect(await page.evaluate(UNLABELLED)).toEqual([]);
    expect(await page.evaluate(CONTRAST_FAILURES)).toEqual([]);
    await page.close();
  });

  stageTest('fits a phone screen, with labelled controls and readable contrast on every page', async () => {
    const page = await browser.newPage({ viewport: { width: 375, height: 740 } });
    const fits = `document.documentElement.scrollWidth <= window.innerWidth`;
    await openShop(page, `${serve.url}/`);
    await addToCart(page, products['plant-monstera'], 1);
    await addToCart(page, products['mug-stoneware'], 1);
    for (const check of [fits, UNLABELLED, CONTRAST_FAILURES])
      expect(await page.evaluate(check)).toEqual(check === fits ? true : []);
    await page.getByRole('link', { name: 'Go to checkout' }).click();
    await page.getByRole('button', { name: 'Place order' }).click();
    for (const check of [fits, UNLABELLED, CONTRAST_FAILURES])
      expect(await page.evaluate(check)).toEqual(check === fits ? true : []);
    await page.getByLabel('Email').fill('ada@example.com');
    await page.getByLabel('Postal code').fill('SW1A 1AA');
    await page.getByLabel('Country').selectOption('GB');
    await page.getByRole('button', { name: 'Place order' }).click();
    const cards = await answers(page, 2);
    expect(await cards.nth(0).locator('[data-field=shipping]').textContent()).toBe(
      'Ships from our warehouse in Manchester, United Kingdom (MAN1)',
    );
    await page.getByRole('button', { name: 'Show developer details' }).click();
    for (const check of [fits, UNLABELLED, CONTRAST_FAILURES])
      expect(await page.evaluate(check)).toEqual(check === fits ? true : []);
    await page.close();
  });

  return { title: `the storefront in headless Chromium (${mode})`, setUp, tearDown, tests };
}

async function shoot(page: Page, name: string) {
  mkdirSync(join(ROOT, 'docs'), { recursive: true });
  await page.evaluate('window.scrollTo(0, 0)');
  await page.screenshot({ path: join(ROOT, 'docs', name), fullPage: true });
}

// An AWS stage's API has POST /orders only: API Gateway answers GET /orders/{id} with 403 "Missing Authentication
// Token" (with the CORS header, from the DEFAULT_4XX gateway response). This loopback stand-in answers the same way.
function apiWithoutTracking(): TestGroup {
  const tests: TestGroup['tests'] = [];
  const stageTest = (title: string, run: () => Promise<void>) => tests.push([title, run]);
  const tmp = tempDir();
  let api: Server;
  let apiUrl: string;
  /** The orders POSTed, with the origin of the page that sent them (each test has a shop origin of its own). */
  const posted: { origin: string; path: string; order: Record<string, unknown> }[] = [];
  const postedFrom = (origin: string) => posted.filter((p) => p.origin === origin);

  const setUp = async () => {
    templateProject(tmp.dir);
    api = createServer((req, res) => {
      const cors = {
        'access-control-allow-origin': req.headers.origin ?? '',
        'access-control-allow-headers': 'Content-Type',
        'content-type': 'application/json',
      };
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        if (req.method === 'OPTIONS') {
          res.writeHead(200, cors).end();
        } else if (req.method === 'POST' && /^\/[a-z]+\/orders$/.test(req.url ?? '')) {
          const order = JSON.parse(body) as Record<string, unknown>;
          posted.push({ origin: req.headers.origin ?? '', path: req.url!, order });
          const execution = {
            executionArn: 'arn:aws:states:eu-central-1:123456789012:execution:x:y',
            startDate: 1.7e9,
          };
          res.writeHead(200, cors).end(JSON.stringify(execution));
        } else {
          res.writeHead(403, cors).end(JSON.stringify({ message: 'Missing Authentication Token' }));
        }
      });
    });
    await new Promise<void>((r) => api.listen(0, '127.0.0.1', r));
    apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
  };
  const tearDown = async () => {
    api?.close();
    tmp.cleanup();
  };

  /** The project's storefront on an origin of its own, with config.json as `config` says at the time. */
  async function shop(config: { current: Record<string, unknown> }) {
    return staticOrigin(join(tmp.dir, 'storefront'), () => ({ '/config.json': JSON.stringify(config.current) }));
  }

  async function buyLamp(page: Page, url: string) {
    await openShop(page, url);
    await page.getByRole('button', { name: 'Add Oak desk lamp to cart' }).click();
    await checkout(page, { email: 'Ada@Example.com', country: 'AT', postalCode: '1010', payment: 'PayPal' });
    await page.waitForFunction(`document.querySelector('.shipment')?.dataset.status === 'UNTRACKED'`, undefined, {
      timeout: 60_000,
      polling: 100,
    });
  }

  stageTest('places the order (a valid order document) and says that live tracking is not available', async () => {
    const { origin, server } = await shop({ current: { apiBase: `${apiUrl}/dev/orders` } });
    const page = await browser.newPage();
    try {
      await buyLamp(page, `${origin}/`);
      expect(await page.locator('[data-headline]').textContent()).toBe(
        "Your order was placed. Live tracking is not available from this shop's order service (HTTP 403).",
      );
      expect(postedFrom(origin)).toHaveLength(1);
      const { path, order } = postedFrom(origin)[0];
      expect(path).toBe('/dev/orders');
      expect(orderSchema.safeParse(order).success).toBe(true);
      expect(order).toMatchObject({
        customerId: 'ada@example.com',
        paymentInstrumentType: 'payPal',
        sellerId: 'lumen-co',
        currency: 'EUR',
        items: [{ sku: 'lamp-oak', quantity: 1, unitPrice: 89.5 }],
        shipTo: { country: 'AT', postalCode: '1010' },
      });
    } finally {
      await page.close();
      server.close();
    }
  });

  stageTest('on a real host name ignores ?api= unless config.json allows it', async () => {
    const config: { current: Record<string, unknown> } = { current: { apiBase: `${apiUrl}/dev` } };
    const { origin, server } = await shop(config);
    const page = await browser.newPage();
    try {
      const host = origin.replace('127.0.0.1', 'shop.test');
      const onHost = `${host}/?api=${encodeURIComponent(`${apiUrl}/evil`)}`;
      await buyLamp(page, onHost);
      expect(postedFrom(host).map((p) => p.path)).toEqual(['/dev/orders']);
      config.current = { apiBase: `${apiUrl}/dev`, allowApiParameter: true };
      await buyLamp(page, onHost);
      expect(postedFrom(host).map((p) => p.path)).toEqual(['/dev/orders', '/evil/orders']);
    } finally {
      await page.close();
      server.close();
    }
  });

  return { title: 'the storefront against an API without order tracking (as an AWS stage)', setUp, tearDown, tests };
}

// Jest runs the concurrent tests of one describe block together (at most maxConcurrency, 5 by default, at a time)
// after that block's beforeAll. These tests spend most of their time waiting (for orders, for the page's polling),
// so every test of the file is in one group at the root, and the root beforeAll sets up every group at once. Each
// test has a page in a browser context of its own; the two stages and the AWS stand-in share nothing.
const groups = [deployedStage('orchestration'), deployedStage('events'), apiWithoutTracking()];
const concurrentTest = haveBrowser ? it.concurrent : it.concurrent.skip;
// Interleaved, so that the tests running at one time use different stages (each stage's functions run one
// invocation at a time on this machine).
for (let i = 0; i < Math.max(...groups.map((g) => g.tests.length)); i++)
  for (const group of groups)
    if (group.tests[i]) concurrentTest(`${group.title} ${group.tests[i][0]}`, group.tests[i][1], 120_000);

beforeAll(async () => {
  if (!haveBrowser) return;
  if (!existsSync(CHROMIUM))
    throw new Error(
      `Chromium not found at ${CHROMIUM}: install it (apt-get install chromium), as .ci/run does, ` +
        'or set CHROMIUM_PATH',
    );
  const launched = chromium.launch({
    executablePath: CHROMIUM,
    args: [...ARGS, '--host-resolver-rules=MAP shop.test 127.0.0.1'],
  });
  // allSettled: a group that failed to start must still be torn down in afterAll.
  const results = await Promise.allSettled([launched, ...groups.map((g) => g.setUp())]);
  if (results[0].status === 'fulfilled') browser = results[0].value;
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
}, 120_000);
afterAll(async () => {
  await Promise.allSettled(groups.map((g) => g.tearDown()));
  await browser?.close();
});
