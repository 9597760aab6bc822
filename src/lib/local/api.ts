import { randomUUID } from 'node:crypto';
import type { ApiModel } from '../api/model.js';
import { renderMappingTemplate } from '../api/velocity.js';
import { formatPath } from '../errors.js';
import { orderSchema } from '../order/model.js';
import type { Recorder } from './recorder.js';

export interface ApiRequest {
  method: string;
  path: string;
  body?: string;
  headers?: Record<string, string | undefined>;
  sourceIp?: string;
  /**
   * Apply the stage's throttling (api.throttle) to this request. `serve` does, for requests from HTTP
   * clients; `send-order` and the bench call the API in-process and pace themselves.
   */
  throttle?: boolean;
}

export interface ApiResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

/** The AWS service behind the API's POST /orders: StartExecution or PutEvents, taking the rendered request. */
export type ServiceAction = (request: unknown) => unknown; // the response, or a Promise of it

/** API Gateway rejects bodies over 10 MB; the order model is small, so the local API holds the line lower. */
export const MAX_BODY_BYTES = 256 * 1024;

/**
 * The REST API on the local target, with API Gateway's behaviour for this API: request validation against the
 * order model (400 "Invalid request body"), the request mapping template rendered with Velocity exactly as
 * uploaded to API Gateway, the AWS service action called with the result, the response template, errors
 * mapped to 400/500, and CORS with the configured origins.
 */
export class LocalApi {
  private readonly bucket: TokenBucket;

  constructor(
    private readonly model: ApiModel,
    private readonly stage: string,
    private readonly action: ServiceAction,
    private readonly recorder?: Recorder,
    now: () => number = Date.now,
  ) {
    this.bucket = new TokenBucket(model.throttle.rateLimit, model.throttle.burstLimit, now);
  }

  async handle(request: ApiRequest): Promise<ApiResponse> {
    const requestId = randomUUID();
    const origin = header(request.headers, 'origin');
    const cors = this.corsFor(origin);
    // API Gateway throttles at the stage, before routing, with this body (and no integration call).
    if (request.throttle && !this.bucket.take()) return json(429, { message: 'Too Many Requests' }, cors, requestId);
    const path = request.path.split('?')[0].replace(/\/+$/, '') || '/';
    if (path !== this.model.resourcePath)
      return json(404, { message: 'Missing Authentication Token' }, cors, requestId);
    if (request.method === 'OPTIONS')
      return { statusCode: 200, headers: { ...cors, 'x-amzn-requestid': requestId }, body: '' };
    if (request.method !== 'POST') return json(403, { message: 'Missing Authentication Token' }, cors, requestId);

    // The API has a request template for application/json only (passthrough NEVER): any other type is refused.
    // API Gateway treats a request without a content type as application/json.
    const contentType = header(request.headers, 'content-type');
    if (contentType !== undefined && contentType.split(';')[0].trim().toLowerCase() !== 'application/json') {
      return this.reject(415, { message: 'Unsupported Media Type' }, cors, requestId, undefined);
    }
    const body = request.body ?? '';
    if (Buffer.byteLength(body) > MAX_BODY_BYTES)
      return this.reject(413, { message: 'Request Too Long' }, cors, requestId, undefined);
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      return this.reject(
        400,
        { message: 'Invalid request body', details: 'body is not valid JSON' },
        cors,
        requestId,
        undefined,
      );
    }
    const orderId =
      typeof (parsed as { orderId?: unknown })?.orderId === 'string'
        ? (parsed as { orderId: string }).orderId
        : undefined;
    const validation = orderSchema.safeParse(parsed);
    if (!validation.success) {
      const issue = validation.error.issues[0];
      return this.reject(
        400,
        { message: 'Invalid request body', details: `${formatPath(issue.path)}: ${issue.message}` },
        cors,
        requestId,
        orderId,
      );
    }

    const context = {
      requestId,
      stage: this.stage,
      requestTimeEpoch: Date.now(),
      httpMethod: 'POST',
      resourcePath: this.model.resourcePath,
    };
    const apiRequest = {
      body,
      headers: stringHeaders(request.headers),
      method: 'POST',
      resourcePath: this.model.resourcePath,
      sourceIp: request.sourceIp ?? '127.0.0.1',
    };
    // Recorded before the integration runs, so the order's log starts with the request.
    this.recorder?.record(orderId!, 'api', 'ApiRequestReceived', {
      name: `POST ${this.model.resourcePath}`,
      details: { requestId, integration: this.model.integration.action },
    });
    let serviceResponse: unknown;
    try {
      const integrationRequest = JSON.parse(
        renderMappingTemplate(this.model.requestTemplate, apiRequest, context),
      ) as unknown;
      serviceResponse = await this.action(integrationRequest);
    } catch (error) {
      const e = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
      const status = (e.$metadata?.httpStatusCode ?? 500) >= 500 ? 500 : 400;
      // API Gateway: the integration response for 4xx/5xx renders the error template over the AWS error body.
      const awsError = JSON.stringify({
        __type: e.name ?? 'InternalFailure',
        message: e.message ?? 'Internal server error',
      });
      const rendered = renderMappingTemplate(this.model.errorTemplate, { ...apiRequest, body: awsError }, context);
      return this.reject(status, JSON.parse(rendered), cors, requestId, orderId);
    }
    const rendered = renderMappingTemplate(
      this.model.responseTemplate,
      { ...apiRequest, body: JSON.stringify(serviceResponse) },
      context,
    );
    return {
      statusCode: 200,
      headers: { 'content-type': 'application/json', 'x-amzn-requestid': requestId, ...cors },
      body: rendered,
    };
  }

  private reject(
    statusCode: number,
    body: unknown,
    cors: Record<string, string>,
    requestId: string,
    orderId: string | undefined,
  ): ApiResponse {
    if (orderId)
      this.recorder?.record(orderId, 'api', 'ApiRequestRejected', {
        name: `POST ${this.model.resourcePath}`,
        details: { requestId, statusCode, body },
      });
    return json(statusCode, body, cors, requestId);
  }

  /** API Gateway CORS for a REST API: the OPTIONS mock and the method responses answer only configured origins. */
  corsFor(origin: string | undefined): Record<string, string> {
    const origins = this.model.corsOrigins;
    const allowed = origins.includes('*') ? '*' : origin && origins.includes(origin) ? origin : undefined;
    if (!allowed) return {};
    return {
      'access-control-allow-origin': allowed,
      'access-control-allow-methods': 'OPTIONS,POST,GET',
      'access-control-allow-headers': 'Content-Type,X-Amz-Date,Authorization,X-Api-Key',
      ...(allowed === '*' ? {} : { vary: 'Origin' }),
    };
  }
}

function json(statusCode: number, body: unknown, cors: Record<string, string>, requestId: string): ApiResponse {
  return {
    statusCode,
    headers: { 'content-type': 'application/json', 'x-amzn-requestid': requestId, ...cors },
    body: JSON.stringify(body),
  };
}

function header(headers: ApiRequest['headers'], name: string): string | undefined {
  if (!headers) return undefined;
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === name) return value;
  return undefined;
}

function stringHeaders(headers: ApiRequest['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(headers ?? {})) if (value !== undefined) out[key] = value;
  return out;
}

/**
 * API Gateway's stage throttling: a token bucket holding `burst` tokens, refilled at `rate` per second; a
 * request takes one or is answered 429. Hand-written: a dozen lines, and the semantics must be API Gateway's.
 */
class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly rate: number,
    private readonly burst: number,
    private readonly now: () => number,
  ) {
    this.tokens = burst;
    this.last = now();
  }

  take(): boolean {
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
