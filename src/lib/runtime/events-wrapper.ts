// Bundled into every function in events mode (see blueprint/bundle.ts): it runs inside Lambda on AWS and
// inside the local Lambda runtime, with the same code path — the real EventBridge client publishing with
// PutEvents, pointed at the local bus by AWS_ENDPOINT_URL_EVENTBRIDGE on the local target.
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { matchesPattern } from '../events/pattern.js';
import type { FunctionRoute } from '../blueprint/event-flow.js';
import { toLambdaErrorPayload } from './lambda-error.js';
import { localEndpointFor, PortRequestHandler } from './port-request-handler.js';

type Handler = (state: unknown, context?: unknown) => unknown;

// Created when the function's code loads (Lambda's Init phase, which the invocation timeout does not count),
// as AWS recommends for SDK clients; the region and endpoint come from the environment. When the endpoint is
// the local bus, the request travels over the environment's message port (port-request-handler.ts); any other
// endpoint (AWS, or an emulator the user set) goes over HTTP as usual.
const localBus = localEndpointFor(process.env.AWS_ENDPOINT_URL_EVENTBRIDGE);
const client = new EventBridgeClient({
  customUserAgent: 'fulfill-events-wrapper',
  // The wrapper never changes the client's middleware: resolve the stack once, not on every PutEvents (the
  // SDK's own option; it measured 0.3 ms of CPU per publish here, about 40% of the client's time).
  cacheMiddleware: true,
  ...(localBus ? { requestHandler: new PortRequestHandler(localBus) } : {}),
});

/**
 * Turns a pure handler into an event subscriber: takes the order state from the (transformed) event, calls
 * the handler, merges its result at the route's `resultPath` (like a Task's ResultPath), and publishes the
 * first matching `publishes` event. Errors listed in `onError` become an event carrying `error` as a
 * Step Functions Catch would; any other error is thrown, so the delivery is retried and then dead-lettered.
 */
export function wrapForEvents(handler: Handler) {
  return async (event: unknown, context?: unknown) => {
    const route = JSON.parse(requiredEnv('FULFILL_ROUTE')) as FunctionRoute;
    const state = unwrap(event);
    let detailType: string;
    let detail: Record<string, unknown>;
    try {
      const result = await handler(state, context);
      detail = { ...state, [route.resultPath]: result === undefined ? null : result };
      const publish = route.publishes.find((p) => !p.when || matchesPattern(p.when, detail));
      if (!publish) throw new Error(`${requiredEnv('FULFILL_HANDLER')}: no "publishes" entry matches the new state`);
      detailType = publish.detailType;
    } catch (error) {
      const payload = toLambdaErrorPayload(error);
      // States.ALL catches the handler's own errors; Lambda's service errors (Lambda.TooManyRequestsException,
      // ...) are thrown on unless named, so the bus retries them as the state machine's Retry does.
      const transient = payload.errorType.startsWith('Lambda.');
      const caught =
        route.onError.find((e) => e.errorEquals.includes(payload.errorType)) ??
        (transient ? undefined : route.onError.find((e) => e.errorEquals.includes('States.ALL')));
      if (!caught) throw error;
      detailType = caught.detailType;
      detail = { ...state, error: { Error: payload.errorType, Cause: JSON.stringify(payload) } };
    }
    const response = await client.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: requiredEnv('FULFILL_BUS_NAME'),
            Source: requiredEnv('FULFILL_SOURCE'),
            DetailType: detailType,
            Detail: JSON.stringify(detail),
          },
        ],
      }),
    );
    const entry = response.Entries?.[0];
    if (response.FailedEntryCount || !entry?.EventId) {
      // Throwing makes the delivery fail, so it is retried: a lost event would break the chain silently.
      throw new Error(
        `PutEvents rejected ${detailType}: ${entry?.ErrorCode ?? 'unknown'} ${entry?.ErrorMessage ?? ''}`.trim(),
      );
    }
    return { published: detailType, eventId: entry.EventId };
  };
}

/** The order state inside the delivered event: `{"Input": ...}` (the lesson's transformer), an envelope's `detail`, or the event itself. */
function unwrap(event: unknown): Record<string, unknown> {
  const e = (event ?? {}) as Record<string, unknown>;
  if (e.Input && typeof e.Input === 'object') return e.Input as Record<string, unknown>;
  if (e.detail && typeof e.detail === 'object' && 'detail-type' in e) return e.detail as Record<string, unknown>;
  return e;
}

function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`environment variable ${name} is not set: deploy the function with fulfill`);
  return value;
}
