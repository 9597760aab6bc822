/**
 * The one price table behind every cost figure `fulfill compare` and `fulfill trace` print.
 *
 * Region: US East (N. Virginia), us-east-1. Currency: USD. Read on 2026-12-01 from the pages cited per entry.
 * On-demand list prices, first pricing tier, without free tiers (they end or are shared across an account, so a
 * per-order figure should not count on them) and without Savings Plans. Other regions differ (e.g. Step
 * Functions in Europe (Paris) is $0.0297 per 1,000 transitions): edit this file, and its date, to price another
 * region. Figures are estimates of what AWS would bill for the usage measured locally, not a quote.
 */
export interface UnitPrice {
  /** USD per one `unit`. */
  readonly usd: number;
  readonly unit: string;
  /** How AWS meters it (rounding, chunking), as the cited page says. */
  readonly metering: string;
  readonly source: string;
}

export const PRICE_TABLE = {
  region: 'us-east-1',
  currency: 'USD',
  retrieved: '2026-12-01',
  prices: {
    stepFunctionsStandardTransition: {
      usd: 0.000025,
      unit: 'state transition',
      metering: '$0.025 per 1,000 state transitions; each retry is charged as an additional state transition',
      source: 'https://aws.amazon.com/step-functions/pricing/',
    },
    stepFunctionsExpressRequest: {
      usd: 0.000001,
      unit: 'Express execution',
      metering: '$1.00 per million requests (a request each time a workflow starts executing)',
      source:
        'https://aws.amazon.com/step-functions/pricing/ ; https://aws.amazon.com/blogs/compute/building-cost-effective-aws-step-functions-workflows/',
    },
    stepFunctionsExpressGbSecond: {
      usd: 0.00001667,
      unit: 'GB-second',
      metering:
        'duration rounded up to the nearest 100 ms, memory billed in 64-MB chunks; $0.06 per GB-hour for the first 1,000 GB-hours',
      source:
        'https://aws.amazon.com/step-functions/pricing/ ; https://www.wring.co/blog/aws-step-functions-pricing-guide',
    },
    eventBridgeCustomEvent: {
      usd: 0.000001,
      unit: 'custom event (64 KB chunk)',
      metering:
        '$1.00 per million custom events published; each 64 KB chunk of an entry is one event; same-account delivery to targets is not charged',
      source: 'https://aws.amazon.com/eventbridge/pricing/ ; https://cloudburn.io/blog/amazon-eventbridge-pricing',
    },
    eventBridgeDelivery: {
      usd: 0,
      unit: 'rule delivery to a same-account Lambda target',
      metering:
        'no charge for delivery to targets in the same account (the Lambda invocation it causes is billed by Lambda)',
      source: 'https://cloudburn.io/blog/amazon-eventbridge-pricing',
    },
    lambdaRequest: {
      usd: 0.0000002,
      unit: 'Lambda request',
      metering: '$0.20 per million requests, each invocation including retries',
      source:
        'https://aws.amazon.com/lambda/pricing/ ; https://docs.aws.amazon.com/whitepapers/latest/how-aws-pricing-works/lambda.html',
    },
    lambdaGbSecond: {
      usd: 0.0000166667,
      unit: 'GB-second',
      metering: 'x86, first tier; duration rounded up to the nearest 1 ms, times the configured memory',
      source: 'https://aws.amazon.com/lambda/pricing/',
    },
    apiGatewayRestRequest: {
      usd: 0.0000035,
      unit: 'REST API request',
      metering: '$3.50 per million for the first 333 million requests per month',
      source:
        'https://aws.amazon.com/api-gateway/pricing/ ; https://docs.aws.amazon.com/whitepapers/latest/best-practices-api-gateway-private-apis-integration/cost-optimization.html',
    },
    cloudWatchLogsIngestedGb: {
      usd: 0.5,
      unit: 'GB ingested',
      metering: '$0.50 per GB ingested, Standard log class (execution history at level ALL, or the events log group)',
      source: 'https://aws.amazon.com/cloudwatch/pricing/ ; https://c3x.dev/blog/cloudwatch-logs-cost-optimization',
    },
  },
} as const satisfies { region: string; currency: string; retrieved: string; prices: Record<string, UnitPrice> };

export type PriceTable = typeof PRICE_TABLE;
export type PriceItem = keyof PriceTable['prices'];
