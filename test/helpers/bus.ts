import type { LocalEventBus } from '../../src/lib/local/bus.js';
import type { LocalStore } from '../../src/lib/local/store.js';

/**
 * What the local API does for an accepted order: the flow's OrderPlaced for `orderId` put on `bus` in one turn of
 * `store` (durable with its deliveries).
 */
export function placeOrder(
  bus: LocalEventBus,
  store: LocalStore,
  busName: string,
  flow: { source: string; orderPlaced: string },
  orderId: string,
): Promise<unknown> {
  return store.grouped(() =>
    bus.putEvents({
      Entries: [
        {
          EventBusName: busName,
          Source: flow.source,
          DetailType: flow.orderPlaced,
          Detail: JSON.stringify({ orderId }),
        },
      ],
    }),
  );
}
