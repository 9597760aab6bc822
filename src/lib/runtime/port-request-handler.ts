// Bundled into every function in events mode, with the events wrapper. On the local target the bus runs in
// fulfill's own process: an SDK client pointed at it gets this request handler, which carries the request the
// SDK built (serialized with the JSON protocol, signed) over the execution environment's message port instead
// of a loopback socket, and hands the bus's answer back to the SDK's deserializers. Only the transport differs
// from HTTP: the client's middleware stack (endpoint, retries, signing, user agent) and its protocol code run
// unchanged. Hand-written: the SDK has handlers for HTTP/1.1, HTTP/2 and fetch only.
//
// No runtime import from @smithy/* or @aws-sdk/*: on AWS, Lambda's runtime provides the SDK in its own version,
// and this module (loaded there too) must not depend on that version's internals.

/** What the local runtime provides (lambda.ts, WORKER_SOURCE), under a global symbol. */
interface LocalEndpoint {
  url: string;
  send(request: PortHttpRequest): Promise<PortHttpResponse>;
}

interface PortHttpRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

interface PortHttpResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

/** The parts of Smithy's HttpRequest this handler reads (`@smithy/types`). */
interface SdkHttpRequest {
  method: string;
  protocol: string;
  hostname: string;
  port?: number;
  path: string;
  query?: Record<string, string | Array<string> | null>;
  headers: Record<string, string>;
  body?: unknown;
}

/** Smithy's HttpResponse is structural (`HttpResponse.isInstance` checks statusCode and headers). */
interface SdkHttpResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: Uint8Array;
}

const LOCAL_ENDPOINT = Symbol.for('fulfill.localEndpoint');

/**
 * The local runtime's endpoint when `url` (the endpoint the client is configured with) is the one it serves
 * over the port; undefined elsewhere (on AWS, or for an endpoint the user set: those go over HTTP).
 */
export function localEndpointFor(url: string | undefined): LocalEndpoint | undefined {
  const endpoint = (globalThis as Record<symbol, LocalEndpoint | undefined>)[LOCAL_ENDPOINT];
  // A function's endpoint is the bus's plus a path naming the publisher (`/functions/<handler>`).
  const served = endpoint && url && (url === endpoint.url || url.startsWith(`${endpoint.url}/`));
  return served ? endpoint : undefined;
}

/** A Smithy `HttpHandler` over the local runtime's message port. */
export class PortRequestHandler {
  readonly metadata = { handlerProtocol: 'http/1.1' };
  private readonly origin: URL;

  constructor(private readonly endpoint: LocalEndpoint) {
    this.origin = new URL(endpoint.url);
  }

  async handle(
    request: SdkHttpRequest,
    options: { abortSignal?: { aborted: boolean; reason?: unknown } } = {},
  ): Promise<{ response: SdkHttpResponse }> {
    if (options.abortSignal?.aborted) throw abortError(options.abortSignal.reason);
    // Whatever the endpoint resolution did, this handler only ever talks to the endpoint it was built for.
    const port = request.port ?? (request.protocol === 'https:' ? 443 : 80);
    if (request.hostname !== this.origin.hostname || String(port) !== (this.origin.port || '80'))
      throw new Error(`the local request handler serves ${this.endpoint.url} only, not ${request.hostname}:${port}`);
    const reply = await this.endpoint.send({
      method: request.method,
      path: request.path + queryString(request.query),
      headers: { ...request.headers },
      body: bodyText(request.body),
    });
    return { response: { statusCode: reply.statusCode, headers: reply.headers, body: Buffer.from(reply.body) } };
  }

  updateHttpClientConfig(): void {}

  httpHandlerConfigs(): Record<string, never> {
    return {};
  }

  destroy(): void {}
}

function bodyText(body: unknown): string {
  if (body === undefined || body === null) return '';
  if (typeof body === 'string') return body;
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  throw new Error('the local request handler sends string or byte bodies only (no streams)');
}

function queryString(query: SdkHttpRequest['query']): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value === null) params.append(key, '');
    else for (const one of Array.isArray(value) ? value : [value]) params.append(key, one);
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

function abortError(reason: unknown): Error {
  const error = new Error(reason instanceof Error ? reason.message : 'Request aborted');
  error.name = 'AbortError';
  return error;
}
