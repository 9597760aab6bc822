import { Flags } from '@oclif/core';
import { BaseCommand } from '../lib/cli/base-command.js';
import { awsOptionsFrom, stageFlags, targetFlags } from '../lib/cli/flags.js';
import { renderOutcome } from '../lib/cli/render.js';
import { paint } from '../lib/cli/style.js';
import { loadConfig } from '../lib/config/schema.js';
import { EXIT_CODES_HELP, ExitCode, UserError } from '../lib/errors.js';
import { orderFromFile, orderFromFlags, type OrderFlags } from '../lib/order/from-input.js';
import type { Order } from '../lib/order/model.js';
import { checkExpectation, localSender, sendBatch, type BatchSummary, type OrderSender, type SendOrderResult } from '../lib/order/send.js';
import { ExpectationError } from '../lib/errors.js';
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
    ...faultFlags,
    payment: Flags.string({ char: 'p', summary: 'Payment instrument type (only creditCard is authorized by the template rules).', default: 'creditCard' }),
    seller: Flags.string({ summary: 'First-party (1P, seller "shop") or third-party (3P) seller.', options: ['1P', '3P'], default: '1P' }),
    'seller-id': Flags.string({ summary: 'Seller id (overrides --seller).' }),
    sku: Flags.string({ summary: 'Item SKU.', default: 'book-978-3-16' }),
    quantity: Flags.string({ summary: 'Item quantity (1-1000).', default: '1' }),
    price: Flags.string({ summary: 'Unit price.', default: '19.99' }),
    currency: Flags.string({ summary: 'ISO 4217 currency.', default: 'EUR' }),
    'ship-to': Flags.string({ summary: 'Destination country (ISO 3166 alpha-2).', default: 'DE' }),
    'postal-code': Flags.string({ summary: 'Destination postal code.', default: '10115' }),
    customer: Flags.string({ summary: 'Customer id.', default: 'customer-1' }),
    'order-id': Flags.string({ summary: 'Order id (default: generated). Also the execution name.' }),
    file: Flags.file({ char: 'f', summary: 'Read the order from a JSON file instead of the flags.', exists: false }),
    wait: Flags.boolean({ char: 'w', summary: 'Wait for the outcome and print it (default when not on a terminal).', allowNo: true }),
    timeout: Flags.integer({ summary: 'Seconds to wait for the outcome.', default: 60, min: 1 }),
    expect: Flags.string({ summary: 'Exit 1 unless the outcome is this (with --count: every outcome).', options: ['succeeded', 'failed'] }),
    count: Flags.integer({ summary: 'Send N orders (ids <order-id>-1..N) and summarise outcomes and latencies.', min: 1, max: 10000 }),
    concurrency: Flags.integer({ summary: 'Orders in flight at once with --count.', default: 10, min: 1, max: 500 }),
  };

  async run(): Promise<SendOrderResult | BatchSummary> {
    const { flags } = await this.parse(SendOrder);
    const config = loadConfig(flags.dir);
    const order = flags.file ? orderFromFile(flags.file, flags['order-id']) : orderFromFlags(flags as unknown as OrderFlags);
    const wait = flags.wait ?? (!process.stdout.isTTY || flags.expect !== undefined || flags.count !== undefined);
    if (flags.expect && !wait) throw new UserError('--expect needs the outcome: drop --no-wait');
    const stage = flags.stage ?? config.stage;
    const target = flags.target ?? config.target;
    const faults = faultPlanFrom(flags.inject, target);
    let sender: OrderSender;
    if (target === 'aws') {
      const { connectStage } = await import('../lib/aws/stage.js');
      const { awsSender } = await import('../lib/aws/orders.js');
      const connected = await connectStage(flags.dir, { stage, ...awsOptionsFrom(flags) });
      sender = awsSender({ ...connected, endpoint: await connected.endpoint() });
    } else {
      sender = await localSender(flags.dir, stage, faults ? { faults } : {});
    }
    try {
      if (flags.count !== undefined) return await this.batch(sender, order, flags.count, flags.concurrency, flags.timeout * 1000, flags.expect as 'succeeded' | 'failed' | undefined);
      return await this.single(sender, order, wait, flags.timeout * 1000, flags.expect as 'succeeded' | 'failed' | undefined);
    } finally {
      await sender.close();
    }
  }

  private async batch(sender: OrderSender, order: Order, count: number, concurrency: number, timeoutMs: number, expect: 'succeeded' | 'failed' | undefined): Promise<BatchSummary> {
    const summary = await sendBatch(sender, order, count, concurrency, timeoutMs);
    this.log(`${summary.sent} orders: ${summary.succeeded} succeeded, ${summary.failed} failed, ${summary.errors} errors; latency p50 ${summary.latencyMs.p50} ms, p95 ${summary.latencyMs.p95} ms, max ${summary.latencyMs.max} ms`);
    for (const o of summary.orders.filter((x) => x.error)) this.log(`  ${o.orderId}: ${o.error}`);
    const unmet = expect ? summary.orders.filter((o) => o.status.toLowerCase() !== expect) : [];
    if (unmet.length > 0) {
      this.errorData = summary;
      throw new ExpectationError(`${unmet.length} of ${summary.sent} orders did not end ${expect!.toUpperCase()} (first: ${unmet[0]!.orderId} ${unmet[0]!.status})`);
    }
    if (summary.errors > 0) {
      this.errorData = summary;
      throw new UserError(`${summary.errors} of ${summary.sent} orders got no outcome`, [`First: ${summary.orders.find((o) => o.error)?.error ?? ''}`], summary.orders.some((o) => /no outcome after/.test(o.error ?? '')) ? ExitCode.Timeout : ExitCode.AwsError);
    }
    return summary;
  }

  private async single(sender: OrderSender, order: Order, wait: boolean, timeoutMs: number, expect: 'succeeded' | 'failed' | undefined): Promise<SendOrderResult> {
    const result = await sender.send(order, wait, timeoutMs);
    if (result.duplicate) {
      this.warnUser(`order ${order.orderId} was already submitted (${(result.api.body as { type?: string })?.type ?? result.api.statusCode}); no new execution started${result.outcome ? ', showing its recorded outcome' : ''}`);
    } else if (!wait) {
      this.log(`${paint('green', '✔')} order ${order.orderId} accepted: ${JSON.stringify(result.api.body)}`);
    }
    if (result.outcome && wait) this.log(renderOutcome(result.outcome));
    this.errorData = result;
    checkExpectation(result.outcome, expect);
    return result;
  }
}
