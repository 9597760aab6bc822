import { afterAll, describe, expect, it } from '@jest/globals';
import { apiModel } from '../../../../src/lib/api/model.js';
import { corsPlan, openApiDocument, specHash, stageSettingsPatch } from '../../../../src/lib/aws/apigw.js';
import { loadBlueprint } from '../../../../src/lib/blueprint/blueprint.js';
import { projects } from '../support.js';

const dirs = projects();
afterAll(() => dirs.cleanup());
const ROLE = 'arn:aws:iam::123456789012:role/fulfill-shop-ci-api-role';
type Doc = Record<string, any>;

function documentFor(corsOrigins: string[]): Doc {
  const blueprint = loadBlueprint(dirs.make('orchestration', { api: { corsOrigins } }));
  return openApiDocument('fulfill-shop-ci-api', apiModel(blueprint, '123456789012'), 'eu-central-1', ROLE);
}

describe('CORS on a REST API', () => {
  it.each([
    ['one origin: a static header', ['https://shop.example.com'], "'https://shop.example.com'"],
    ['"*": a static "*"', ['*'], "'*'"],
    ['"*" among others: "*"', ['https://a.example.com', '*'], "'*'"],
  ])('%s', (_name, origins, header) => {
    expect(corsPlan(origins)).toEqual({ staticOrigin: header, templatePreamble: '' });
    const doc = documentFor(origins);
    const post = doc.paths['/orders'].post['x-amazon-apigateway-integration'];
    for (const response of Object.values<Doc>(post.responses))
      expect(response.responseParameters['method.response.header.Access-Control-Allow-Origin']).toBe(header);
    const preflight = doc.paths['/orders'].options['x-amazon-apigateway-integration'];
    expect(preflight.type).toBe('mock');
    expect(preflight.responses.default.responseParameters).toEqual({
      'method.response.header.Access-Control-Allow-Origin': header,
      'method.response.header.Access-Control-Allow-Methods': "'OPTIONS,POST,GET'", // the same as the local API
      'method.response.header.Access-Control-Allow-Headers': "'Content-Type,X-Amz-Date,Authorization,X-Api-Key'",
    });
  });

  it("several origins: the response templates answer the caller's origin when it is allowed, and vary on it", () => {
    const origins = ['http://localhost:4173', 'http://127.0.0.1:4173'];
    const { staticOrigin, templatePreamble } = corsPlan(origins);
    expect(staticOrigin).toBeUndefined();
    expect(templatePreamble).toContain('#if($origin == "http://localhost:4173" || $origin == "http://127.0.0.1:4173")');
    expect(templatePreamble).toContain('#set($context.responseOverride.header.Access-Control-Allow-Origin = $origin)');
    const doc = documentFor(origins);
    const model = apiModel(loadBlueprint(dirs.make('orchestration')), '123456789012');
    const post = doc.paths['/orders'].post['x-amazon-apigateway-integration'];
    // The preamble only sets variables; the template API Gateway renders the body with is the blueprint's.
    expect(post.responses.default.responseTemplates['application/json']).toBe(
      `${templatePreamble}${model.responseTemplate}`,
    );
    expect(post.responses['4\\d{2}'].responseTemplates['application/json']).toBe(
      `${templatePreamble}${model.errorTemplate}`,
    );
    expect(post.responses.default.responseParameters).toEqual({});
    expect(
      doc.paths['/orders'].options['x-amazon-apigateway-integration'].responses.default.responseTemplates[
        'application/json'
      ],
    ).toBe(templatePreamble);
    expect(Object.keys(doc.paths['/orders'].post.responses['200'].headers)).toEqual([
      'Access-Control-Allow-Origin',
      'Vary',
    ]);
    expect(doc['x-amazon-apigateway-gateway-responses'].BAD_REQUEST_BODY.responseParameters).toEqual({
      'gatewayresponse.header.Access-Control-Allow-Origin': 'method.request.header.Origin',
    });
  });
});

describe('the API document', () => {
  it('says why a body is invalid, and keeps the status of other gateway errors', () => {
    const gateway = documentFor(['*'])['x-amazon-apigateway-gateway-responses'];
    expect(gateway.BAD_REQUEST_BODY).toMatchObject({
      statusCode: 400,
      responseTemplates: {
        'application/json': '{"message": "Invalid request body", "details": "$context.error.validationErrorString"}',
      },
    });
    expect(gateway.DEFAULT_4XX.statusCode).toBeUndefined();
    expect(gateway.DEFAULT_5XX.statusCode).toBeUndefined();
  });

  it('has a stable hash that changes with the document', () => {
    const a = documentFor(['*']);
    expect(specHash(a)).toBe(specHash(JSON.parse(JSON.stringify(a))));
    expect(specHash(a)).toMatch(/^[0-9a-f]{16}$/);
    expect(specHash(documentFor(['https://x.example.com']))).not.toBe(specHash(a));
  });
});

describe('stage settings', () => {
  it.each([
    ['a new stage: throttling', undefined, ['/*/*/throttling/rateLimit=50', '/*/*/throttling/burstLimit=100']],
    [
      'in sync: nothing',
      { tracingEnabled: true, methodSettings: { '*/*': { throttlingRateLimit: 50, throttlingBurstLimit: 100 } } },
      [],
    ],
    [
      'burst changed, tracing off',
      { tracingEnabled: false, methodSettings: { '*/*': { throttlingRateLimit: 50, throttlingBurstLimit: 5 } } },
      ['/*/*/throttling/burstLimit=100', '/tracingEnabled=true'],
    ],
  ])('%s', (_name, stage, patch) => {
    expect(stageSettingsPatch(stage, { rateLimit: 50, burstLimit: 100 }).map((p) => `${p.path}=${p.value}`)).toEqual(
      patch,
    );
  });
});
