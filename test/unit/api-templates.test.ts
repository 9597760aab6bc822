import { describe, expect, it } from '@jest/globals';
import {
  escapeJavaScript,
  MappingTemplateError,
  renderMappingTemplate,
  type ApiContext,
  type ApiRequest,
} from '../../src/lib/api/velocity.js';
import {
  errorResponseTemplate,
  putEventsResponseTemplate,
  putEventsTemplate,
  startExecutionResponseTemplate,
  startExecutionTemplate,
} from '../../src/lib/api/templates.js';

const ARN = 'arn:aws:states:eu-west-1:123456789012:stateMachine:fulfill-shop-dev-workflow';
const BUS = { eventBusName: 'fulfill-shop-dev-bus', source: 'fulfill.api', detailType: 'OrderPlaced' };
const context: ApiContext = {
  requestId: 'c0ffee00-0000-4000-8000-000000000001',
  stage: 'dev',
  requestTimeEpoch: Date.UTC(2026, 0, 2, 3, 4, 5, 678),
};

function render(
  template: string,
  body: unknown = {},
  request: Partial<ApiRequest> = {},
  stageVariables?: Record<string, string>,
): string {
  return renderMappingTemplate(
    template,
    { body: typeof body === 'string' ? body : JSON.stringify(body), ...request },
    context,
    stageVariables,
  );
}

const order = (orderId: string, extra: Record<string, unknown> = {}) => ({
  orderId,
  customerId: 'c-1',
  items: [{ sku: 'SKU-1', quantity: 1, unitPrice: 9.99 }],
  ...extra,
});

// Bodies that break naive templates. The \' in "backslashes" is the case the replaceAll must not over-correct.
const orders: Array<[string, Record<string, unknown>]> = [
  ['plain', order('o-plain')],
  ['double quotes in a name', order('o-dq', { customer: { name: 'Anna "the boss" Smith' } })],
  ["single quotes (O'Brien)", order('o-sq', { customer: { name: "Seán O'Brien" }, note: "'''" })],
  ['backslashes', order('o-bs', { note: 'C:\\orders\\ ends with \\', quoteAfterBackslash: "\\'", two: "\\\\'" })],
  [
    'newline, tab, CR and control characters',
    order('o-nl', { note: 'line 1\nline 2\r\n\ttab \u0000 \u0007 \u001f \u007f' }),
  ],
  [
    'unicode (Müller, 東京)',
    order('o-uni', { customer: { name: 'Jürgen Müller', city: '東京' }, note: 'ß Ω \u2028\u2029' }),
  ],
  ['emoji', order('o-emoji', { note: 'gift 🎁, family 👩‍👩‍👧, flag 🇩🇪' })],
  [
    'deeply nested objects and arrays',
    order('o-deep', { a: { b: { c: [[1, [2, [3, { d: [{}, [], null, true, false, ''] }]]]] } } }),
  ],
  [
    'numbers (1e21, 0.1, MAX_SAFE_INTEGER, 5e-324)',
    order('o-num', { big: 1e21, tenth: 0.1, negative: -0.5, max: Number.MAX_SAFE_INTEGER, tiny: 5e-324 }),
  ],
  ['slashes and markup', order('o-html', { note: '</script><!-- --> a/b //' })],
  ['text that looks like VTL', order('o-vtl', { note: '$input.body #set($x = 1) ${util} #if(true) #end \\$ ## $!x' })],
  ['empty and blank keys', order('o-empty', { '': '', ' ': ' ' })],
];

describe('StartExecution request template', () => {
  it.each(orders)('%s', (_name, body) => {
    const rendered = render(startExecutionTemplate(ARN), body);
    const request = JSON.parse(rendered);
    expect(Object.keys(request)).toEqual(['input', 'name', 'stateMachineArn']);
    expect(JSON.parse(request.input)).toEqual(body);
    expect(request.name).toBe(body.orderId);
    expect(request.stateMachineArn).toBe(ARN);
  });

  // The request model only lets [A-Za-z0-9_-] through; the template does not rely on it to stay valid JSON.
  it.each([["o'1"], ['o"2'], ['o\\3'], ['ö-4'], ["o\\'5"]])('name stays valid JSON for orderId %j', (orderId) => {
    expect(JSON.parse(render(startExecutionTemplate(ARN), order(orderId))).name).toBe(orderId);
  });

  it('writes no non-ASCII character: escapeJavaScript turns them into \\uXXXX, as on API Gateway', () => {
    const rendered = render(startExecutionTemplate(ARN), order('o-1', { name: 'Müller 東京 🎁' }));
    expect(rendered).toMatch(/^[\x20-\x7e\n]*$/);
    expect(rendered).toContain('M\\u00FCller \\u6771\\u4EAC \\uD83C\\uDF81');
  });
});

describe('a parsed template serves every render', () => {
  it('renders the same output whatever was rendered before with the cached parse', () => {
    const template = startExecutionTemplate(ARN);
    const forward = orders.map(([, body]) => render(template, body));
    const backward = [...orders]
      .reverse()
      .map(([, body]) => render(template, body))
      .reverse();
    expect(backward).toEqual(forward);
  });
});

describe('PutEvents request template', () => {
  it.each(orders)('%s', (_name, body) => {
    const request = JSON.parse(render(putEventsTemplate(BUS), body));
    expect(Object.keys(request)).toEqual(['Entries']);
    expect(request.Entries).toEqual([
      { EventBusName: BUS.eventBusName, Source: BUS.source, DetailType: BUS.detailType, Detail: expect.any(String) },
    ]);
    const detail = JSON.parse(request.Entries[0].Detail);
    expect(detail).toEqual(body);
    expect(detail.orderId).toBe(body.orderId);
  });

  it('writes deploy-time values verbatim, even with quotes, backslashes, $ and # in them', () => {
    const odd = {
      eventBusName: 'arn:aws:events:eu-west-1:1:event-bus/shop',
      source: 'shop "$input.body" \\ #if( ${x}',
      detailType: 'Order.Placed-v2',
    };
    const entry = JSON.parse(render(putEventsTemplate(odd), order('o-1'))).Entries[0];
    expect(entry).toMatchObject({ EventBusName: odd.eventBusName, Source: odd.source, DetailType: odd.detailType });
  });
});

describe("the escapeJavaScript \\' gotcha", () => {
  const body = order('o-1', { customer: "O'Brien" });

  it("raw $util.escapeJavaScript writes ' as \\', which JSON.parse rejects", () => {
    const naive = render(`{"input": "$util.escapeJavaScript($input.json('$'))"}`, body);
    expect(naive).toContain("O\\'Brien");
    expect(() => JSON.parse(naive)).toThrow(SyntaxError);
  });

  it('.replaceAll("\\\\\'","\'") undoes it, and the fulfillment templates carry exactly that idiom', () => {
    const idiom = `.replaceAll("\\\\'","'")`;
    const fixed = render(`{"input": "$util.escapeJavaScript($input.json('$'))${idiom}"}`, body);
    expect(JSON.parse(JSON.parse(fixed).input)).toEqual(body);
    expect(startExecutionTemplate(ARN)).toContain(`$util.escapeJavaScript($input.json('$'))${idiom}`);
    expect(putEventsTemplate(BUS)).toContain(`$util.escapeJavaScript($input.json('$'))${idiom}`);
    expect(JSON.parse(JSON.parse(render(startExecutionTemplate(ARN), body)).input)).toEqual(body);
  });
});

describe('$util', () => {
  it.each([
    ['" as \\"', 'a"b', 'a\\"b'],
    ["' as \\' (not JSON)", "it's", "it\\'s"],
    ['\\ as \\\\', 'a\\b', 'a\\\\b'],
    ['/ as \\/', 'a/b', 'a\\/b'],
    ['control characters with short escapes', '\n\t\r\b\f', '\\n\\t\\r\\b\\f'],
    ['other control characters as \\u00XX', '\u0001\u001f', '\\u0001\\u001F'],
    ['DEL untouched', '\u007f', '\u007f'],
    ['Latin-1 as \\u00XX', 'ü', '\\u00FC'],
    ['CJK as \\uXXXX', '東', '\\u6771'],
    ['emoji as a surrogate pair', '🎁', '\\uD83C\\uDF81'],
  ])('escapeJavaScript: %s', (_name, input, expected) => {
    expect(render("$util.escapeJavaScript($input.path('$.s'))", { s: input })).toBe(expected);
    expect(escapeJavaScript(input)).toBe(expected);
  });

  it.each([
    // The example of API Gateway's documentation.
    [
      'parseJson',
      "#set($o = $util.parseJson($input.path('$.errorMessage')))$o.key2.arr[0]",
      { errorMessage: '{"key1":"var1","key2":{"arr":[1,2,3]}}' },
      '1',
    ],
    [
      'parseJson: a map VTL can walk',
      "#foreach($k in $util.parseJson($input.path('$.s')).keySet())$k;#end",
      { s: '{"a":1,"b":2}' },
      'a;b;',
    ],
    [
      'urlEncode (Java URLEncoder: space as +, * kept, ~ encoded)',
      "$util.urlEncode($input.path('$.s'))",
      { s: 'a b&c=d/é~*' },
      'a+b%26c%3Dd%2F%C3%A9%7E*',
    ],
    ['urlDecode', "$util.urlDecode($input.path('$.s'))", { s: 'a+b%26c%3Dd%2F%C3%A9' }, 'a b&c=d/é'],
    ['base64Encode (UTF-8)', "$util.base64Encode($input.path('$.s'))", { s: 'Müller' }, 'TcO8bGxlcg=='],
    ['base64Decode (UTF-8)', "$util.base64Decode($input.path('$.s'))", { s: 'TcO8bGxlcg==' }, 'Müller'],
    [
      'escapeJavaScript of a map: Java toString',
      "$util.escapeJavaScript($input.path('$.m'))",
      { m: { a: [1, 'x'] } },
      '{a=[1, x]}',
    ],
  ])('%s', (_name, template, body, expected) => {
    expect(render(template, body)).toBe(expected);
  });

  it.each([
    ['parseJson of text that is not JSON', "$util.parseJson('{oops')", /\$util\.parseJson: not JSON/],
    ['urlDecode of a malformed escape', "$util.urlDecode('100%')", /\$util\.urlDecode: malformed/],
  ])('%s fails the render', (_name, template, message) => {
    expect(() => render(template)).toThrow(message);
  });
});

describe('$input', () => {
  const body = {
    a: { b: 1 },
    list: ['x', 'y', 'z'],
    n: 2.5,
    flag: true,
    nothing: null,
    s: 'say "hi"',
    'odd-key': 'k',
    items: [{ sku: 'A' }, { sku: 'B' }],
  };

  it.each([
    ['$input.body is the raw body', '$input.body', '{ "a" :  1 }', '{ "a" :  1 }'],
    ["$input.json('$') is the body as compact JSON", "$input.json('$')", '{ "a" :  1 }', '{"a":1}'],
    ["$input.json('$.a')", "$input.json('$.a')", body, '{"b":1}'],
    ["$input.json('$.s') is a JSON string literal", "$input.json('$.s')", body, '"say \\"hi\\""'],
    ["$input.json('$.list[1]')", "$input.json('$.list[1]')", body, '"y"'],
    ["$input.json('$.list[-1]')", "$input.json('$.list[-1]')", body, '"z"'],
    ["$input.json('$.items[1].sku')", "$input.json('$.items[1].sku')", body, '"B"'],
    ['$input.json("$[\'odd-key\']")', '$input.json("$[\'odd-key\']")', body, '"k"'],
    ["$input.json('$.nothing')", "$input.json('$.nothing')", body, 'null'],
    ["$input.json('$.missing') is empty", "[$input.json('$.missing')]", body, '[]'],
    ["$input.path('$.a').b", "$input.path('$.a').b", body, '1'],
    ["$input.path('$.n')", "$input.path('$.n')", body, '2.5'],
    ["$input.path('$.list').size()", "$input.path('$.list').size()", body, '3'],
    ["$input.path('$.flag') in #if", "#if($input.path('$.flag'))yes#end", body, 'yes'],
    ['$input.path over an array', "#foreach($i in $input.path('$.items'))$i.sku#end", body, 'AB'],
    ["$input.path('$.nothing') (null) renders empty", "[$input.path('$.nothing')]", body, '[]'],
    [
      '$input.path returns a copy: $x.put does not change $input.json',
      "#set($o = $input.path('$'))#set($ignored = $o.put('n', 7))$o.n $input.json('$.n')",
      body,
      '7 2.5',
    ],
    ["an empty body reads as {} ($input.json('$') of a GET)", "$input.json('$')", '', '{}'],
    [
      "a body that is not JSON: $input.path('$') is the text",
      "#foreach($kv in $input.path('$').split('&'))[$kv]#end",
      'a=1&b=2',
      '[a=1][b=2]',
    ],
  ])('%s', (_name, template, requestBody, expected) => {
    expect(render(template, requestBody)).toBe(expected);
  });

  const request: Partial<ApiRequest> = {
    pathParameters: { id: 'from-path' },
    queryString: { id: 'from-query', q: 'q1' },
    headers: { 'x-trace': 't1', 'content-type': 'application/json' },
  };

  it.each([
    ["$input.params('id'): path before query string", "$input.params('id')", 'from-path'],
    ["$input.params('q'): query string", "$input.params('q')", 'q1'],
    ["$input.params('X-Trace'): header, whatever its case", "$input.params('X-Trace')", 't1'],
    ["$input.params('missing') is empty", "[$input.params('missing')]", '[]'],
    [
      '$input.params() is {path, querystring, header}',
      '#foreach($type in $input.params().keySet())$type=$input.params().get($type).size();#end',
      'path=1;querystring=2;header=2;',
    ],
    ['$input.params().querystring.q', '$input.params().querystring.q', 'q1'],
  ])('%s', (_name, template, expected) => {
    expect(render(template, {}, request)).toBe(expected);
  });

  it.each([
    ["$input.json('$..sku')"],
    ["$input.path('$.items[*]')"],
    ["$input.json('items')"],
    ["$input.path('$.items[?(@.sku)]')"],
  ])('rejects JSONPath it does not emulate: %s', (template) => {
    expect(() => render(template, body)).toThrow(/unsupported JSONPath/);
  });
});

describe('$context and $stageVariables', () => {
  const request: Partial<ApiRequest> = {
    method: 'POST',
    resourcePath: '/orders',
    sourceIp: '203.0.113.9',
    headers: { 'User-Agent': 'curl/8.0', Host: 'localhost:4000' },
  };

  it.each([
    ['$context.requestId', context.requestId],
    ['$context.extendedRequestId', context.requestId],
    ['$context.stage', 'dev'],
    ['$context.requestTimeEpoch', String(Date.UTC(2026, 0, 2, 3, 4, 5, 678))],
    ['$context.requestTime', '02/Jan/2026:03:04:05 +0000'],
    ['$context.httpMethod', 'POST'],
    ['$context.resourcePath', '/orders'],
    ['$context.path', '/dev/orders'],
    ['$context.protocol', 'HTTP/1.1'],
    ['$context.domainName', 'localhost:4000'],
    ['$context.identity.sourceIp', '203.0.113.9'],
    ['$context.identity.userAgent', 'curl/8.0'],
    ['$context.accountId', '000000000000'],
    ['$context.apiId', 'local'],
  ])('%s', (template, expected) => {
    expect(render(template, {}, request)).toBe(expected);
  });

  it('takes accountId, apiId, httpMethod and resourcePath from the ApiContext when given', () => {
    const out = renderMappingTemplate(
      '$context.accountId $context.apiId $context.httpMethod $context.resourcePath',
      { body: '{}', method: 'GET', resourcePath: '/x' },
      { ...context, accountId: '123456789012', apiId: 'a1b2c3', httpMethod: 'POST', resourcePath: '/orders' },
    );
    expect(out).toBe('123456789012 a1b2c3 POST /orders');
  });

  it.each([
    ['$stageVariables.table', 'orders-dev'],
    ["$stageVariables['table']", 'orders-dev'],
    ["${stageVariables['table']}", 'orders-dev'],
    ['[$stageVariables.missing]', '[]'],
  ])('%s', (template, expected) => {
    expect(render(template, {}, {}, { table: 'orders-dev' })).toBe(expected);
  });
});

describe('Velocity as API Gateway runs it', () => {
  it.each([
    [
      'an unknown reference renders empty, not as its own text',
      "[$nope][$nope.deeper][$input.path('$.missing').x]",
      '[][][]',
    ],
    ['String.replaceAll takes a Java regex', "#set($s = 'a1b22c')$s.replaceAll('[0-9]+', '#')", 'a#b#c'],
    [
      'String.replaceAll: $n groups and \\$ in the replacement',
      "#set($s = 'ab')$s.replaceAll('(a)(b)', '$2$1\\$')",
      'ba$',
    ],
    ['String.replaceFirst', "#set($s = 'aaa')$s.replaceFirst('a', 'b')", 'baa'],
    ['String.replace replaces every literal match', "#set($s = 'a.a.a')$s.replace('.', '$')", 'a$a$a'],
    [
      'String.split takes a regex and drops trailing empty strings',
      "#set($s = 'a1b2c3')#set($p = $s.split('[0-9]'))$p.size() $p[2]",
      '3 c',
    ],
    [
      'String.matches is a whole-string match',
      "#set($s = 'o-1')$s.matches('o-[0-9]+') $s.matches('[0-9]')",
      'true false',
    ],
    [
      'String.length(), isEmpty(), equals(), contains()',
      "#set($s = 'abc')$s.length() $s.isEmpty() $s.equals('abc') $s.contains('bc')",
      '3 false true true',
    ],
    [
      'Map.containsKey and List.contains',
      "#set($m = {'a': [1, 2]})$m.containsKey('a') $m.a.contains(2) $m.isEmpty()",
      'true true false',
    ],
    ['#foreach with $foreach.hasNext', "#foreach($i in $input.path('$.list'))$i#if($foreach.hasNext),#end#end", 'x,y'],
  ])('%s', (_name, template, expected) => {
    expect(render(template, { list: ['x', 'y'] })).toBe(expected);
  });

  it.each([
    ['a syntax error', '{"a": #set($x = }', /does not parse: Parse error on line 1/],
    [
      'an #if without #end (velocityjs would render the rest twice)',
      'a\n#if(true) b',
      /does not parse: the #if on line 2 has no #end/,
    ],
    [
      'a stray #end (velocityjs would drop the rest)',
      'a\nb #end c',
      /does not parse: the #end on line 2 closes no block/,
    ],
    [
      'a regex that does not compile',
      "#set($s = 'a')$s.replaceAll('(', '')",
      /failed to render: invalid regular expression "\("/,
    ],
  ])('rejects %s with a MappingTemplateError', (_name, template, message) => {
    expect(() => render(template)).toThrow(MappingTemplateError);
    expect(() => render(template)).toThrow(message);
  });

  it('does not count directives inside comments or #[[unparsed]]# blocks', () => {
    expect(render('## #if(\n#* #foreach( *##[[#end]]#ok')).toBe('#end' + 'ok');
  });
});

describe('response templates', () => {
  const executionArn = 'arn:aws:states:eu-west-1:123456789012:execution:fulfill-shop-dev-workflow:o-42';

  it('StartExecution {executionArn, startDate} -> {orderId, executionArn, startDate}', () => {
    const out = JSON.parse(render(startExecutionResponseTemplate(), { executionArn, startDate: 1767323045.678 }));
    expect(out).toEqual({ orderId: 'o-42', executionArn, startDate: 1767323045.678 });
  });

  it('PutEvents {FailedEntryCount: 0, Entries: [{EventId}]} -> {eventId, failedEntryCount}, without an orderId', () => {
    const out = JSON.parse(
      render(putEventsResponseTemplate(), {
        FailedEntryCount: 0,
        Entries: [{ EventId: '11710aed-b79e-4468-a20b-bb3c0c3b4860' }],
      }),
    );
    expect(out).toEqual({ eventId: '11710aed-b79e-4468-a20b-bb3c0c3b4860', failedEntryCount: 0 });
  });

  it('PutEvents with a rejected entry -> eventId null, the count, errorCode and errorMessage', () => {
    const body = { FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'it\'s "down"\n' }] };
    expect(JSON.parse(render(putEventsResponseTemplate(), body))).toEqual({
      eventId: null,
      failedEntryCount: 1,
      errorCode: 'InternalFailure',
      errorMessage: 'it\'s "down"\n',
    });
  });

  it.each([
    [
      'Step Functions',
      {
        __type: 'com.amazonaws.swf.service.v2.model#ExecutionAlreadyExists',
        message: "Execution Already Exists: 'arn:aws:states:...:o-1'",
      },
      { message: "Execution Already Exists: 'arn:aws:states:...:o-1'", type: 'ExecutionAlreadyExists' },
    ],
    [
      'EventBridge',
      { __type: 'ValidationException', message: 'Detail is "invalid"\\n at 1/2' },
      { message: 'Detail is "invalid"\\n at 1/2', type: 'ValidationException' },
    ],
    [
      '"Message" spelt with a capital',
      { __type: 'AccessDeniedException', Message: 'User: x is not authorized' },
      { message: 'User: x is not authorized', type: 'AccessDeniedException' },
    ],
    ['unicode and newlines', { __type: 'X#Y', message: 'Müller\n東京 🎁' }, { message: 'Müller\n東京 🎁', type: 'Y' }],
    ['no fields at all', {}, { message: '', type: '' }],
  ])('AWS error (%s) -> {message, type}', (_name, body, expected) => {
    expect(JSON.parse(render(errorResponseTemplate(), body))).toEqual(expected);
  });
});
