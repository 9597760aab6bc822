// Types shared by the handlers. Each handler is a pure function of the order state: it receives the
// order plus what earlier steps added, and returns only its own part. fulfill merges that part into the
// state (Step Functions `ResultPath`, or the events wrapper's `resultPath`), so the same code runs in both modes.

export interface OrderItem {
  sku: string;
  quantity: number;
  unitPrice: number;
}

export interface Order {
  orderId: string;
  customerId: string;
  paymentInstrumentType: string;
  sellerId: string;
  currency: string;
  items: OrderItem[];
  shipTo: { country: string; postalCode: string };
}

export interface Payment {
  instrument: string;
  authorized: boolean;
  authorizationId: string;
  amount: number;
}

export interface Seller {
  sellerId: string;
  type: '1P' | '3P';
}

export interface Warehouse {
  id: string;
  country: string;
}

export interface Fulfillment {
  by: 'shop' | 'seller';
  warehouse?: Warehouse;
}

export interface Fee {
  rate: number;
  amount: number;
  currency: string;
}

export interface Invoice {
  invoiceId: string;
  type: 'customer' | 'seller-fee';
  issuer: string;
  recipient: string;
  amount: number;
  currency: string;
}

export interface Notification {
  channel: 'email';
  recipient: string;
  template: 'payment-confirmed' | 'order-failed';
}

/** A failure caught by the workflow (Step Functions Catch `ResultPath`) or by the events wrapper: same shape. */
export interface CaughtError {
  Error: string;
  Cause: string;
}

export interface OrderState extends Order {
  payment?: Payment;
  notification?: Notification;
  error?: CaughtError;
  seller?: Seller;
  warehouse?: Warehouse;
  fulfillment?: Fulfillment;
  fee?: Fee;
  invoices?: Invoice[];
}

/** The subset of the Lambda context object the handlers may use. */
export interface Context {
  awsRequestId: string;
  functionName: string;
  getRemainingTimeInMillis(): number;
}
