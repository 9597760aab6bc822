// Records the AWS API calls a handler makes, for `fulfill iam check` (src/lib/iam/check.ts). A loopback HTTP
// endpoint, set as AWS_ENDPOINT_URL for one function's local run, reads each signed request the SDK sends: the
// service from the SigV4 credential scope, the action from the protocol (X-Amz-Target for the JSON protocols,
// Action= for the query protocol, the route for the few REST calls handlers make), and the resource from the
// request's parameters; it answers an empty success (README, "What a recorded call gets back"), so the handler
// carries on to its later calls, where an error would stop it at the first. Written by hand:
// no library records SDK calls at the HTTP level (aws-sdk-client-mock works in-process, not inside a worker).
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { text } from '../json.js';
import { listenOnLoopback } from '../local/loopback.js';

export interface RecordedCall {
  /** The function whose environment made the call (one endpoint per function). */
  function: string;
  /** SigV4 signing name: `dynamodb`, `sqs`, `states`, `lambda`, `s3`, ... */
  service: string;
  region: string;
  /** The API action (`PutItem`), or `METHOD /path` for a REST call it does not know. */
  operation: string;
  /** The IAM action the call needs (`dynamodb:PutItem`, `lambda:InvokeFunction`). */
  action: string;
  /** The resource ARN the call names, `*` when the request names none it can tell. */
  resource: string;
}

export interface CallRecorder {
  /** The endpoint URL to set as AWS_ENDPOINT_URL for this function's run. */
  endpointFor(fn: string): Promise<string>;
  readonly calls: readonly RecordedCall[];
  close(): Promise<void>;
}

/** One loopback listener per function, so a call is attributed by the port it arrives on. */
export function createCallRecorder(options: { account: string }): CallRecorder {
  const servers = new Map<string, { server: Server; url: string }>();
  const calls: RecordedCall[] = [];
  return {
    calls,
    async endpointFor(fn) {
      const known = servers.get(fn);
      if (known) return known.url;
      const server = createServer((req, res) => void record(req, res, fn, options.account, calls));
      const url = `http://127.0.0.1:${await listenOnLoopback(server, `IAM check recorder ${options.account} ${fn}`)}`;
      servers.set(fn, { server, url });
      return url;
    },
    async close() {
      await Promise.all(
        [...servers.values()].map(({ server }) => new Promise<void>((resolve) => server.close(() => resolve()))),
      );
      servers.clear();
    },
  };
}

async function record(
  req: IncomingMessage,
  res: ServerResponse,
  fn: string,
  account: string,
  calls: RecordedCall[],
): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks).toString('utf8');
  // "AWS4-HMAC-SHA256 Credential=AKID/20260101/eu-central-1/dynamodb/aws4_request, SignedHeaders=..., Signature=..."
  const scope = /Credential=[^/]+\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/.exec(req.headers.authorization ?? '');
  if (!scope) {
    res
      .writeHead(403, { 'content-type': 'application/json' })
      .end(JSON.stringify({ message: 'fulfill call recorder: request is not SigV4-signed' }));
    return;
  }
  const [, region, service] = scope as unknown as [string, string, string];
  const target = req.headers['x-amz-target'];
  const path = (req.url ?? '/').split('?')[0];
  let operation: string;
  let params: Record<string, unknown>;
  let protocol: 'json' | 'query' | 'rest';
  if (typeof target === 'string') {
    protocol = 'json';
    operation = target.slice(target.lastIndexOf('.') + 1);
    params = parseJson(body);
  } else if (/application\/x-www-form-urlencoded/.test(req.headers['content-type'] ?? '')) {
    protocol = 'query';
    const form = new URLSearchParams(body);
    operation = form.get('Action') ?? 'Unknown';
    params = Object.fromEntries(form);
  } else {
    protocol = 'rest';
    ({ operation, params } = restOperation(service, req.method ?? 'GET', path));
    params = { ...parseJson(body), ...params };
  }
  calls.push({
    function: fn,
    service,
    region,
    operation,
    action: iamAction(service, operation),
    resource: resourceOf(service, region, account, params),
  });
  const requestId = randomUUID();
  if (protocol === 'query') {
    const xml = `<${operation}Response><${operation}Result/><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${operation}Response>`;
    res.writeHead(200, { 'content-type': 'text/xml', 'x-amzn-requestid': requestId }).end(xml);
  } else {
    const answer = JSON.stringify(minimalResult(service, operation, params));
    res
      .writeHead(200, {
        'content-type': protocol === 'json' ? 'application/x-amz-json-1.1' : 'application/json',
        'x-amzn-requestid': requestId,
      })
      .end(answer);
  }
}

/** `{}` satisfies most clients; SQS's checks the MD5 of what it sent, so its sends get one. */
function minimalResult(service: string, operation: string, params: Record<string, unknown>): Record<string, unknown> {
  const md5 = (body: unknown) =>
    createHash('md5')
      .update(text(body ?? ''))
      .digest('hex');
  if (service === 'sqs' && operation === 'SendMessage')
    return { MessageId: randomUUID(), MD5OfMessageBody: md5(params.MessageBody) };
  if (service === 'sqs' && operation === 'SendMessageBatch') {
    const entries = (params.Entries as Array<{ Id: string; MessageBody: string }> | undefined) ?? [];
    return {
      Successful: entries.map((e) => ({ Id: e.Id, MessageId: randomUUID(), MD5OfMessageBody: md5(e.MessageBody) })),
      Failed: [],
    };
  }
  return {};
}

/** The REST calls handlers commonly make; anything else is recorded as `METHOD /path`. */
function restOperation(
  service: string,
  method: string,
  path: string,
): { operation: string; params: Record<string, unknown> } {
  const invoke = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/.exec(path);
  if (service === 'lambda' && invoke)
    return { operation: 'Invoke', params: { FunctionName: decodeURIComponent(invoke[1]) } };
  if (service === 's3') {
    const [bucket, ...key] = path.slice(1).split('/');
    const operation =
      { GET: 'GetObject', PUT: 'PutObject', DELETE: 'DeleteObject', HEAD: 'HeadObject' }[method] ?? `${method} ${path}`;
    return { operation, params: { Bucket: bucket, Key: key.join('/') } };
  }
  return { operation: `${method} ${path}`, params: {} };
}

/** The IAM action for an API operation: the same name, except where IAM names it differently. */
function iamAction(service: string, operation: string): string {
  if (service === 'lambda' && operation === 'Invoke') return 'lambda:InvokeFunction';
  return `${service}:${operation}`;
}

function resourceOf(service: string, region: string, account: string, params: Record<string, unknown>): string {
  const text = (key: string) => (typeof params[key] === 'string' ? params[key] : undefined);
  const arnOr = (value: string | undefined, build: (name: string) => string) =>
    value === undefined ? '*' : value.startsWith('arn:') ? value : build(value);
  switch (service) {
    case 'dynamodb':
      return arnOr(text('TableName'), (name) => `arn:aws:dynamodb:${region}:${account}:table/${name}`);
    case 'sqs':
      return arnOr(text('QueueUrl')?.split('/').pop(), (name) => `arn:aws:sqs:${region}:${account}:${name}`);
    case 'events': {
      const entries = params.Entries as Array<{ EventBusName?: string }> | undefined;
      return arnOr(
        entries?.[0]?.EventBusName ?? text('EventBusName') ?? 'default',
        (name) => `arn:aws:events:${region}:${account}:event-bus/${name}`,
      );
    }
    case 'states':
      return text('stateMachineArn') ?? text('executionArn') ?? '*';
    case 'lambda':
      return arnOr(text('FunctionName'), (name) => `arn:aws:lambda:${region}:${account}:function:${name}`);
    case 's3':
      return text('Bucket') ? `arn:aws:s3:::${text('Bucket')}${text('Key') ? `/${text('Key')}` : ''}` : '*';
    case 'sns':
      return text('TopicArn') ?? '*';
    default:
      return '*';
  }
}

function parseJson(body: string): Record<string, unknown> {
  try {
    const value = JSON.parse(body) as unknown;
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
