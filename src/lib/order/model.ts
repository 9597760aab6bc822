import { z } from 'zod';

/**
 * The order as the shop hands it to fulfillment. One schema serves the CLI (`--file`), the local API
 * and the API Gateway request model (see `orderJsonSchema`), so all three reject the same orders.
 */
export const orderSchema = z.strictObject({
  // Step Functions execution names: 1-80 chars of letters, digits, '-' and '_' (the order id is the execution name).
  orderId: z.string().regex(/^[A-Za-z0-9_-]{1,80}$/, 'must be 1-80 letters, digits, "-" or "_"'),
  customerId: z.string().min(1).max(128),
  paymentInstrumentType: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9]{0,31}$/, 'must be a payment instrument name such as "creditCard"'),
  sellerId: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'must be lowercase letters, digits or dashes'),
  currency: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as "EUR"'),
  items: z
    .array(
      z.strictObject({
        sku: z.string().min(1).max(64),
        quantity: z.int().min(1, 'must be at least 1').max(1000),
        unitPrice: z.number().positive('must be greater than 0').max(1_000_000),
      }),
    )
    .min(1, 'must contain at least one item')
    .max(100),
  shipTo: z.strictObject({
    country: z.string().regex(/^[A-Z]{2}$/, 'must be an ISO 3166 alpha-2 code such as "DE"'),
    postalCode: z.string().min(1).max(16),
  }),
});

export type Order = z.output<typeof orderSchema>;

let orderJsonSchemaText: string | undefined;

/** JSON Schema (draft-04, as API Gateway models require) of an order, derived from the zod schema. */
export function orderJsonSchema(): Record<string, unknown> {
  // Derived once per process: z.toJSONSchema walks the whole schema, and every deploy and API set-up asks for it
  // (4% of the CPU of the AWS recovery tables). Each caller gets its own copy.
  orderJsonSchemaText ??= JSON.stringify({
    ...(z.toJSONSchema(orderSchema, { target: 'draft-4', io: 'input' }) as Record<string, unknown>),
    title: 'Order',
  });
  return JSON.parse(orderJsonSchemaText) as Record<string, unknown>;
}

/** The seller id `--seller 1P` maps to; the template's determine-seller handler treats it as first party. */
export const FIRST_PARTY_SELLER_ID = 'shop';
export const DEFAULT_3P_SELLER_ID = 'marketplace-seller-1';
