import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { extname, resolve, sep } from 'node:path';
import { MAX_BODY_BYTES } from './api.js';
import type { LocalBackend } from './backend.js';

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

/**
 * `fulfill serve`: the local API over HTTP on loopback. POST /orders goes through the same LocalApi as
 * send-order (model validation, mapping templates, status codes); GET /orders/{id} answers the outcome so far;
 * GET /health; the storefront at `/`. It never crashes on input: every handler error becomes a 500 answer.
 */
export class FulfillServer {
  private server: Server | undefined;
  private readonly inFlight = new Set<string>();

  constructor(
    private readonly backend: LocalBackend,
    private readonly options: ServeOptions,
  ) {}

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
    return [...this.inFlight];
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
      waiting.map(async (orderId) => {
        try {
          await this.backend.waitForOutcome(orderId, Math.max(1, deadline - Date.now()));
          finished++;
        } catch {
          interrupted.push(orderId);
          this.backend.recordInterrupted(orderId);
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
    if (path === '/health' && req.method === 'GET') {
      send(res, 200, {
        status: 'ok',
        mode: this.backend.mode,
        stage: this.backend.deployment.stage,
        app: this.backend.deployment.app,
        inFlight: this.inFlight.size,
      });
      return;
    }
    if (path === '/orders') {
      const body = await readBody(req, MAX_BODY_BYTES);
      if (body === undefined) {
        send(res, 413, { message: 'Request Too Long' });
        return;
      }
      const response = await this.backend.api.handle({
        method: req.method ?? 'GET',
        path,
        body,
        headers: req.headers as Record<string, string>,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        throttle: true,
      });
      if (req.method === 'POST' && response.statusCode === 200) this.follow(body);
      res.writeHead(response.statusCode, response.headers);
      res.end(response.body);
      return;
    }
    const match = /^\/orders\/([A-Za-z0-9_-]{1,80})$/.exec(path);
    if (match) {
      const cors = this.backend.api.corsFor(req.headers.origin);
      if (req.method === 'OPTIONS') {
        res.writeHead(200, cors);
        res.end();
        return;
      }
      if (req.method !== 'GET') {
        send(res, 405, { message: 'Method Not Allowed' }, cors);
        return;
      }
      const view = this.backend.orderView(match[1]);
      if (!view) send(res, 404, { message: `order ${match[1]} not found` }, cors);
      else send(res, 200, view, cors);
      return;
    }
    if (req.method === 'GET' && this.options.staticDir) {
      this.serveStatic(path, res);
      return;
    }
    send(res, 404, { message: 'Not Found' });
  }

  private follow(body: string) {
    const orderId = (JSON.parse(body) as { orderId: string }).orderId;
    if (this.inFlight.has(orderId)) return;
    const running = this.backend.running(orderId);
    if (!running) return;
    this.inFlight.add(orderId);
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
