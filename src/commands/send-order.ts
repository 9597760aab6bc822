import { Flags } from '@oclif/core';
import { BaseCommand } from '../lib/cli/base-command.js';
import { durationFlag, stageFlags, targetFlags } from '../lib/cli/flags.js';
import { renderOutcome } from '../lib/cli/render.js';
import { paint } from '../lib/cli/style.js';
import { EXIT_CODES_HELP, UserError } from '../lib/errors.js';
import { orderFromFile, orderFromFlags, type OrderFlags } from '../lib/order/from-input.js';
import type { Order } from '../lib/order/model.js';
import {
  checkBatch,
  checkExpectation,
  sendBatch,
  type BatchSummary,
  type OrderSender,
  type SendOrderResult,
} from '../lib/order/send.js';
import { openTarget } from '../lib/targets/index.js';
import { faultFlags, faultPlanFrom } from '../lib/cli/fault-flags.js';

export default class SendOrder extends BaseCommand<typeof SendOrder> {
  static summary = 'Send a test order through the deployed API and report its outcome.';
  static description = `Builds an order from flags (or --file), posts it to the stage's API as a shop would, and with --wait prints the outcome document. The order id is the execution name: resending an order id starts nothing new.\n\n${EXIT_CODES_HELP}`;
  static examples = [
    '<%= config.bin %> send-order --payment creditCard --wait --expect succeeded',
    '<%= config.bin %> send-order --payment giftCard --wait --expect failed --json',
    '<%= config.bin %> send-order --seller 3P --ship-to FR --quantity 3 --price 12.50',
    '<%= config.bin %> send-order --file orders/credit-card-3p.json --order-id my-order-1',
  ];
  static flags = {
    ...stageFlags,
    ...targetFlags,
    payment: Flags.string({
      char: 'p',
      summary: 'Payment instrument type (only creditCard is authorized by the template rules).',
      default: 'creditCard',
    }),
    seller: Flags.string({
      summary: 'First-party (1P, seller "shop") or third-party (3P) seller.',
      options: ['1P', '3P'],
      default: '1P',
    }),
    'seller-id': Flags.string({ summary: 'Seller id (overrides --seller).' }),
    sku: Flags.string({ summary: 'Item SKU.', default: 'book-978-3-16' }),
    quantity: Flags.string({ summary: 'Item quantity (1-1000).', default: '1' }),
    price: Flags.string({ summary: 'Unit price.', default: '19.99' }),
    currency: Flags.string({ summary: 'ISO 4217 currency.', default: 'EUR' }),
    'ship-to': Flags.string({ summary: 'Destination country (ISO 3166 alpha-2).', default: 'DE' }),
    'postal-code': Flags.string({ summary: 'Destination postal code.', default: '10115' }),
    customer: Flags.string({ summary: 'Customer id.', default: 'customer-1' }),
    'order-id': Flags.string({ summary: 'Order id (default: generated). Also the execution name.' }),
    file: Flags.file({
      char: 'f',
      summary: 'Read the order from a JSON file; order flags given as well override its fields.',
      exists: false,
    }),
    wait: Flags.boolean({
      char: 'w',
      summary: 'Wait for the outcome and print it (default when not on a terminal).',
      allowNo: true,
    }),
    timeout: durationFlag({
      summary: 'How long to wait for the outcome: 500ms, 30s, 2m (a bare number means seconds).',
      default: 60_000,
      min: 1,
      defaultHelp: async () => '60s',
    }),
    expect: Flags.string({
      summary: 'Exit 1 unless the outcome is this (with --count: every outcome).',
      options: ['succeeded', 'failed'],
    }),
    count: Flags.integer({
      summary: 'Send N orders (ids <order-id>-1..N) and summarise outcomes and latencies.',
      min: 1,
      max: 10000,
    }),
    concurrency: Flags.integer({ summary: 'Orders in flight at once with --count.', default: 10, min: 1, max: 500 }),
    ...faultFlags,
  };

  async run(): Promise<SendOrderResult | BatchSummary> {
    const { flags, metadata } = await this.parse(SendOrder);
    const order = flags.file
      ? orderFromFile(flags.file, givenOrderFlags(flags, metadata.flags))
      : orderFromFlags(flags as unknown as OrderFlags);
    const wait = flags.wait ?? (!process.stdout.isTTY || flags.expect !== undefined || flags.count !== undefined);
    if (flags.expect && !wait) throw new UserError('--expect needs the outcome: drop --no-wait');
    const expect = flags.expect as 'succeeded' | 'failed' | undefined;
    const target = await openTarget(flags);
    const faults = faultPlanFrom(flags.inject, target.name);
    const sender = await target.sender(faults ? { faults } : {});
    for (const warning of sender.warnings ?? []) this.warnUser(warning);
    try {
      if (flags.count !== undefined)
        return await this.batch(sender, order, flags.count, flags.concurrency, flags.timeout, expect);
      return await this.single(sender, order, wait, flags.timeout, expect);
    } finally {
      await sender.close();
    }
  }

  private async batch(
    sender: OrderSender,
    order: Order,
    count: number,
    concurrency: number,
    timeoutMs: number,
    expect: 'succeeded' | 'failed' | undefined,
  ): Promise<BatchSummary> {
    const summary = await sendBatch(sender, order, count, concurrency, timeoutMs);
    const duplicates =
      summary.duplicates > 0
        ? ` (${summary.duplicates} duplicates: sent before with the same ids, earlier outcomes shown)`
        : '';
    this.log(
      `${summary.sent} orders: ${summary.succeeded} succeeded, ${summary.failed} failed, ${summary.errors} errors${duplicates}; latency p50 ${summary.latencyMs.p50} ms, p95 ${summary.latencyMs.p95} ms, max ${summary.latencyMs.max} ms`,
    );
    for (const o of summary.orders.filter((x) => x.error)) this.log(`  ${o.orderId}: ${o.error}`);
    if (summary.duplicates > 0)
      this.warnUser(
        `${summary.duplicates} of ${summary.sent} order ids had been sent before: no new executions started for them; pass another --order-id for new orders`,
      );
    this.errorData = summary;
    checkBatch(summary, expect);
    return summary;
  }

  private async single(
    sender: OrderSender,
    order: Order,
    wait: boolean,
    timeoutMs: number,
    expect: 'succeeded' | 'failed' | undefined,
  ): Promise<SendOrderResult> {
    const result = await sender.send(order, wait, timeoutMs);
    if (result.duplicate) {
      this.warnUser(
        `order ${order.orderId} was already submitted (${(result.api.body as { type?: string })?.type ?? result.api.statusCode}); no new execution started${result.outcome ? ', showing its recorded outcome' : ''}`,
      );
    } else if (!wait) {
      this.log(`${paint('green', '✔')} order ${order.orderId} accepted: ${JSON.stringify(result.api.body)}`);
    }
    if (result.outcome && wait) this.log(renderOutcome(result.outcome));
    this.errorData = result;
    checkExpectation(result.outcome, expect);
    return result;
  }
}

/** The order flags the user typed (not defaults): with --file they override the file's fields. */
function givenOrderFlags(
  flags: Record<string, unknown>,
  metadata: Record<string, { setFromDefault?: boolean } | undefined>,
): Partial<OrderFlags> {
  const names = [
    'order-id',
    'payment',
    'seller',
    'seller-id',
    'sku',
    'quantity',
    'price',
    'currency',
    'ship-to',
    'postal-code',
    'customer',
  ] as const;
  const given: Record<string, unknown> = {};
  for (const name of names) if (flags[name] !== undefined && !metadata[name]?.setFromDefault) given[name] = flags[name];
  return given;
}
