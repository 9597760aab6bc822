import { describe, expect, it } from '@jest/globals';
import { escapeJavaScript, renderMappingTemplate } from '../../src/lib/api/velocity.js';
import { errorResponseTemplate, putEventsResponseTemplate, putEventsTemplate, startExecutionResponseTemplate, startExecutionTemplate } from '../../src/lib/api/templates.js';

const ARN = 'arn:aws:states:eu-central-1:123456789012:stateMachine:fulfill-shop-dev-workflow';
const ctx = { requestId: 'req-1', stage: 'dev', requestTimeEpoch: Date.UTC(2026, 10, 25, 10, 0, 0) };
const base = { customerId: 'c-1', paymentInstrumentType: 'creditCard', sellerId: 'shop', currency: 'EUR', items: [{ sku: 'a', quantity: 1, unitPrice: 1 }], shipTo: { country: 'DE', postalCode: '1' } };

// Bodies that break naive templates: quotes, the escapeJavaScript \' gotcha, backslashes, control
// characters, unicode outside the BMP, nesting and awkward numbers.
const orders: Array<[string, Record<string, unknown>]> = [
  ['plain', { ...base, orderId: 'o-1' }],
  ['double quotes', { ...base, orderId: 'o-2', customerId: 'the "best" customer' }],
  ["single quote (O'Brien)", { ...base, orderId: 'o-3', customerId: "O'Brien" }],
  ['backslashes', { ...base, orderId: 'o-4', customerId: 'C:\\Users\\shop\\' }],
  ['newline and tab', { ...base, orderId: 'o-5', customerId: 'line1\nline2\tend\r' }],
  ['unicode', { ...base, orderId: 'o-6', customerId: 'Müller, 東京, Ελλάδα' }],
  ['emoji', { ...base, orderId: 'o-7', customerId: 'gift 🎁 for 👩‍👩‍👧' }],
  ['slash and html', { ...base, orderId: 'o-8', customerId: '</script><b>x</b>' }],
  ['deep nesting', { ...base, orderId: 'o-9', items: [{ sku: 'a', quantity: 2, unitPrice: 0.1 }, { sku: "b's", quantity: 1, unitPrice: 1e21 }], shipTo: { country: 'FR', postalCode: '69001' } }],
  ['control character', { ...base, orderId: 'o-10', customerId: 'bell\u0007' }],
];

const render = (template: string, body: unknown) => renderMappingTemplate(template, { body: typeof body === 'string' ? body : JSON.stringify(body) }, ctx);

describe('StartExecution request template', () => {
  it.each(orders)('%s', (_name, order) => {
    const request = JSON.parse(render(startExecutionTemplate(ARN), order));
    expect(request.name).toBe(order.orderId);
    expect(request.stateMachineArn).toBe(ARN);
    expect(JSON.parse(request.input)).toEqual(order);
  });
});

describe('PutEvents request template', () => {
  it.each(orders)('%s', (_name, order) => {
    const request = JSON.parse(render(putEventsTemplate({ eventBusName: 'fulfill-shop-dev-bus', source: 'fulfill.api', detailType: 'OrderPlaced' }), order));
    expect(request.Entries).toHaveLength(1);
    expect(request.Entries[0]).toMatchObject({ EventBusName: 'fulfill-shop-dev-bus', Source: 'fulfill.api', DetailType: 'OrderPlaced' });
    expect(JSON.parse(request.Entries[0].Detail)).toEqual(order);
  });
});

describe('response templates', () => {
  it('StartExecution -> orderId, executionArn, startDate', () => {
    const out = JSON.parse(render(startExecutionResponseTemplate(), { executionArn: `${ARN.replace('stateMachine', 'execution')}:o-1`, startDate: 1.7e9 }));
    expect(out).toEqual({ orderId: 'o-1', executionArn: `${ARN.replace('stateMachine', 'execution')}:o-1`, startDate: 1.7e9 });
  });

  it('PutEvents -> eventId, failedEntryCount', () => {
    expect(JSON.parse(render(putEventsResponseTemplate(), { FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] }))).toEqual({ eventId: 'e-1', failedEntryCount: 0 });
  });

  it('AWS errors -> message and short type', () => {
    expect(JSON.parse(render(errorResponseTemplate(), { __type: 'com.amazonaws.swf.service.model.v20120125#ExecutionAlreadyExists', message: "Execution Already Exists: 'x'" }))).toEqual({ message: "Execution Already Exists: 'x'", type: 'ExecutionAlreadyExists' });
    expect(JSON.parse(render(errorResponseTemplate(), { __type: 'ValidationException', message: 'bad "input"' }))).toEqual({ message: 'bad "input"', type: 'ValidationException' });
  });
});

describe('API Gateway variables', () => {
  it('$util.escapeJavaScript escapes like Apache Commons, including the \\\' that is not JSON', () => {
    expect(escapeJavaScript(`a"b'c\\d/e\nf`)).toBe(`a\\"b\\'c\\\\d\\/e\\nf`);
    expect(escapeJavaScript('ü')).toBe('\\u00FC');
    const raw = render(`{"s": "$util.escapeJavaScript($input.path('$.s'))"}`, { s: "O'Brien" });
    expect(raw).toBe(`{"s": "O\\'Brien"}`);
    expect(() => JSON.parse(raw)).toThrow();
  });

  it.each([
    ["$input.json('$.a')", { a: { b: 1 } }, '{"b":1}'],
    ["$input.json('$.list[1]')", { list: ['x', 'y'] }, '"y"'],
    ["$input.path('$.a').b", { a: { b: 7 } }, '7'],
    ["$input.path('$.n')", { n: 2.5 }, '2.5'],
    ['$input.body', { a: 1 }, '{"a":1}'],
    ["$util.parseJson('{\"k\":3}').k", {}, '3'],
    ["$util.base64Encode('hi')", {}, 'aGk='],
    ["$util.base64Decode('aGk=')", {}, 'hi'],
    ["$util.urlEncode('a b&c')", {}, 'a+b%26c'],
    ["$util.urlDecode('a+b%26c')", {}, 'a b&c'],
    ['$context.requestId $context.stage $context.requestTimeEpoch', {}, `req-1 dev ${Date.UTC(2026, 10, 25, 10, 0, 0)}`],
    ['$context.requestTime', {}, '25/Nov/2026:10:00:00 +0000'],
    ['$context.identity.sourceIp', {}, '127.0.0.1'],
  ])('%s', (template, body, expected) => {
    expect(render(template, body)).toBe(expected);
  });

  it('$input.params finds path, query string and header values', () => {
    const out = renderMappingTemplate("$input.params('id') $input.params('q') $input.params('X-Trace')", { body: '{}', pathParameters: { id: 'p1' }, queryString: { q: 'q1' }, headers: { 'x-trace': 't1' } }, ctx);
    expect(out).toBe('p1 q1 t1');
  });
});
