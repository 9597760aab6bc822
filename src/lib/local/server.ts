import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { extname, resolve, sep } from 'node:path';
import { MAX_BODY_BYTES } from './api.js';
import type { LocalApi } from './api.js';
import type { LocalBackend } from './backend.js';
import type { OrderOutcome } from '../order/outcome.js';

export const DEFAULT_PORT = 4000;

export interface ServeOptions {
  host: string;
  port: number;
  /** Folder served at `/` (the storefront), if any. */
  staticDir?: string;
  /** One line per request. */
  log?: (line: string) => void;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

/** Where the server gets the backend for a request: one fixed backend, or the stage as it is now (LiveStage). */
export interface StageSource {
  readonly stage: string;
  /** The backend of the current deployment; undefined when the stage is not deployed (destroyed). */
  backend(): Promise<LocalBackend | undefined>;
  /** Follows an order `backend` accepted; its outcome, or undefined when it does not run here. */
  follow(backend: LocalBackend, orderId: string): Promise<OrderOutcome> | undefined;
  /** The last deployment's API: the CORS headers of answers given without a backend. */
  readonly lastApi: LocalApi;
}

function fixedSource(backend: LocalBackend): StageSource {
  return {
    stage: backend.deployment.stage,
    backend: async () => backend,
    follow: (b, orderId) => b.running(orderId),
    lastApi: backend.api,
  };
}

/**
 * `fulfill serve`: the local API over HTTP on loopback. POST /orders goes through the same LocalApi as
 * send-order (model validation, mapping templates, status codes); GET /orders/{id} answers the outcome so far;
 * GET /health; the storefront at `/`. It never crashes on input: every handler error becomes a 500 answer.
 */
export class FulfillServer {
  private server: Server | undefined;
  /** Orders accepted and not finished yet, with the backend running each (a redeploy does not move them). */
  private readonly inFlight = new Map<string, LocalBackend>();
  private readonly source: StageSource;

  constructor(
    source: LocalBackend | StageSource,
    private readonly options: ServeOptions,
  ) {
    this.source = 'follow' in source ? source : fixedSource(source);
  }

  async listen(): Promise<string> {
    const server = createServer((req, res) => {
      const started = Date.now();
      res.on('finish', () =>
        this.options.log?.(`${req.method} ${req.url} ${res.statusCode} ${Date.now() - started}ms`),
      );
      this.route(req, res).catch((error: unknown) => {
        if (!res.headersSent)
          send(res, 500, { message: 'Internal server error', details: String((error as Error)?.message ?? error) });
        else res.end();
      });
    });
    server.keepAliveTimeout = 5000;
    this.server = server;
    await new Promise<void>((resolvePromise, reject) => {
      server.once('error', reject);
      server.listen(this.options.port, this.options.host, () => resolvePromise());
    });
    const address = server.address() as AddressInfo;
    return `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  }

  /** Orders accepted and not finished yet. */
  get pending(): string[] {
    return [...this.inFlight.keys()];
  }

  /**
   * Graceful stop: no new connections, then wait for accepted orders up to `graceMs`; the ones still running
   * are recorded as interrupted, so no order is lost without a trace.
   */
  async close(graceMs: number): Promise<{ finished: number; interrupted: string[] }> {
    const server = this.server;
    const closed = new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    server?.closeIdleConnections();
    const waiting = [...this.inFlight];
    const deadline = Date.now() + graceMs;
    let finished = 0;
    const interrupted: string[] = [];
    await Promise.all(
      waiting.map(async ([orderId, backend]) => {
        try {
          await backend.waitForOutcome(orderId, Math.max(1, deadline - Date.now()));
          finished++;
        } catch {
          interrupted.push(orderId);
          backend.recordInterrupted(orderId);
        }
      }),
    );
    server?.closeAllConnections();
    await closed;
    return { finished, interrupted };
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    if (path === '/health' || path === '/orders' || path.startsWith('/orders/')) {
      // Checked per API request (a stat and one indexed read): a redeploy or destroy from another process shows.
      const backend = await this.source.backend();
      if (!backend) {
        // API Gateway's error style, one line: the stage is gone until the next `fulfill deploy` brings it back.
        const message = `Service Unavailable: stage "${this.source.stage}" is not deployed (destroyed); run \`fulfill deploy\` to bring it back`;
        send(res, 503, { message }, this.source.lastApi.corsFor(req.headers.origin));
        return;
      }
      if (await this.routeApi(req, res, path, backend)) return;
    }
    if (req.method === 'GET' && this.options.staticDir) {
      this.serveStatic(path, res);
      return;
    }
    send(res, 404, { message: 'Not Found' });
  }

  /** The API routes; false when the path is none of them (the storefront may have it). */
  private async routeApi(
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    backend: LocalBackend,
  ): Promise<boolean> {
    if (path === '/health' && req.method === 'GET') {
      send(res, 200, {
        status: 'ok',
        mode: backend.mode,
        stage: backend.deployment.stage,
        app: backend.deployment.app,
        deployedAt: backend.deployment.deployedAt,
        inFlight: this.inFlight.size,
      });
      return true;
    }
    if (path === '/orders') {
      const body = await readBody(req, MAX_BODY_BYTES);
      if (body === undefined) {
        send(res, 413, { message: 'Request Too Long' });
        return true;
      }
      const response = await backend.api.handle({
        method: req.method ?? 'GET',
        path,
        body,
        headers: req.headers as Record<string, string>,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        throttle: true,
      });
      if (req.method === 'POST' && response.statusCode === 200) this.follow(backend, body);
      res.writeHead(response.statusCode, response.headers);
      res.end(response.body);
      return true;
    }
    const match = /^\/orders\/([A-Za-z0-9_-]{1,80})$/.exec(path);
    if (match) {
      const cors = backend.api.corsFor(req.headers.origin);
      if (req.method === 'OPTIONS') {
        res.writeHead(200, cors);
        res.end();
        return true;
      }
      if (req.method !== 'GET') {
        send(res, 405, { message: 'Method Not Allowed' }, cors);
        return true;
      }
      const view = backend.orderView(match[1]);
      if (!view) send(res, 404, { message: `order ${match[1]} not found` }, cors);
      else send(res, 200, view, cors);
      return true;
    }
    return false;
  }

  private follow(backend: LocalBackend, body: string) {
    const orderId = (JSON.parse(body) as { orderId: string }).orderId;
    if (this.inFlight.has(orderId)) return;
    const running = this.source.follow(backend, orderId);
    if (!running) return;
    this.inFlight.set(orderId, backend);
    // No timer here: an order that never ends must not keep the process alive after shutdown.
    void running.finally(() => this.inFlight.delete(orderId));
  }

  private serveStatic(path: string, res: ServerResponse) {
    const root = resolve(this.options.staticDir!);
    let relative: string;
    try {
      relative = path === '/' ? 'index.html' : decodeURIComponent(path);
    } catch {
      send(res, 400, { message: 'Bad Request: malformed percent-encoding in the path' });
      return;
    }
    const file = resolve(root, `.${sep}${relative}`);
    // Never serve outside the storefront folder: compare with a separator, or `storefront-private` would pass.
    if (!file.startsWith(root + sep) || !existsSync(file) || !statSync(file).isFile()) {
      send(res, 404, { message: 'Not Found' });
      return;
    }
    res.writeHead(200, {
      'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
      'cache-control': 'no-store',
    });
    res.end(readFileSync(file));
  }
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/** Reads the body up to `limit` bytes; undefined when it is larger (the connection is drained, not trusted). */
async function readBody(req: IncomingMessage, limit: number): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  let tooBig = false;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) tooBig = true;
    else chunks.push(chunk as Buffer);
  }
  return tooBig ? undefined : Buffer.concat(chunks).toString('utf8');
}
