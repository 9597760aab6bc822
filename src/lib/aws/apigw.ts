import { createHash } from 'node:crypto';
import {
  CreateDeploymentCommand,
  CreateRestApiCommand,
  DeleteRestApiCommand,
  GetRestApisCommand,
  GetStageCommand,
  GetTagsCommand,
  PutRestApiCommand,
  TagResourceCommand,
  UpdateStageCommand,
  type Stage,
} from '@aws-sdk/client-api-gateway';
import type { ApiModel } from '../api/model.js';
import { apply, isNotFound, unchanged, type AwsContext } from './context.js';

const SPEC_TAG = 'fulfill:spec';

/**
 * The whole REST API as one OpenAPI document with API Gateway's extensions: POST /orders with an AWS
 * service integration (StartExecution or PutEvents) using the blueprint's mapping templates, the order
 * model and a body validator, responses mapping success and AWS errors to 200/400/500, CORS (an OPTIONS
 * mock integration plus headers), and a BAD_REQUEST_BODY gateway response that says what is invalid.
 * Importing it with PutRestApi (mode overwrite) makes the API converge in one call.
 */
export function openApiDocument(name: string, model: ApiModel, region: string, apiRoleArn: string): Record<string, unknown> {
  // API Gateway REST APIs answer CORS with one static origin (or "*").
  const origin = model.corsOrigins.includes('*') ? '*' : (model.corsOrigins[0] ?? '*');
  const corsHeaders = { 'Access-Control-Allow-Origin': { schema: { type: 'string' } } };
  const corsValue = { 'method.response.header.Access-Control-Allow-Origin': `'${origin}'` };
  const { $schema: _ignored, title: _title, ...schema } = model.requestModel as Record<string, unknown>;
  const uri = model.integration.service === 'states' ? `arn:aws:apigateway:${region}:states:action/StartExecution` : `arn:aws:apigateway:${region}:events:action/PutEvents`;
  return {
    openapi: '3.0.1',
    info: { title: name, version: '1' },
    paths: {
      [model.resourcePath]: {
        post: {
          'x-amazon-apigateway-request-validator': 'body',
          requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/Order' } } } },
          responses: Object.fromEntries(['200', '400', '500'].map((code) => [code, { description: code, headers: corsHeaders }])),
          'x-amazon-apigateway-integration': {
            type: 'aws',
            httpMethod: 'POST',
            uri,
            credentials: apiRoleArn,
            passthroughBehavior: 'never',
            requestTemplates: { 'application/json': model.requestTemplate },
            ...(model.integration.service === 'events'
              ? { requestParameters: { 'integration.request.header.X-Amz-Target': "'AWSEvents.PutEvents'", 'integration.request.header.Content-Type': "'application/x-amz-json-1.1'" } }
              : {}),
            responses: {
              default: { statusCode: '200', responseTemplates: { 'application/json': model.responseTemplate }, responseParameters: corsValue },
              '4\\d{2}': { statusCode: '400', responseTemplates: { 'application/json': model.errorTemplate }, responseParameters: corsValue },
              '5\\d{2}': { statusCode: '500', responseTemplates: { 'application/json': model.errorTemplate }, responseParameters: corsValue },
            },
          },
        },
        options: {
          responses: {
            '200': {
              description: 'CORS preflight',
              headers: { 'Access-Control-Allow-Origin': { schema: { type: 'string' } }, 'Access-Control-Allow-Methods': { schema: { type: 'string' } }, 'Access-Control-Allow-Headers': { schema: { type: 'string' } } },
            },
          },
          'x-amazon-apigateway-integration': {
            type: 'mock',
            requestTemplates: { 'application/json': '{"statusCode": 200}' },
            passthroughBehavior: 'when_no_match',
            responses: {
              default: {
                statusCode: '200',
                responseParameters: {
                  ...corsValue,
                  'method.response.header.Access-Control-Allow-Methods': "'OPTIONS,POST'",
                  'method.response.header.Access-Control-Allow-Headers': "'Content-Type,X-Amz-Date,Authorization,X-Api-Key'",
                },
              },
            },
          },
        },
      },
    },
    components: { schemas: { Order: schema } },
    'x-amazon-apigateway-request-validators': { body: { validateRequestBody: true, validateRequestParameters: false } },
    'x-amazon-apigateway-gateway-responses': {
      BAD_REQUEST_BODY: {
        statusCode: 400,
        responseParameters: { 'gatewayresponse.header.Access-Control-Allow-Origin': `'${origin}'` },
        responseTemplates: { 'application/json': '{"message": "Invalid request body", "details": "$context.error.validationErrorString"}' },
      },
    },
  };
}

export async function findRestApi(ctx: AwsContext, name: string): Promise<string | undefined> {
  let position: string | undefined;
  do {
    const page = await ctx.clients.apigw.send(new GetRestApisCommand({ position, limit: 500 }));
    const hit = page.items?.find((api) => api.name === name && api.tags?.['fulfill:app'] === ctx.tags['fulfill:app'] && api.tags?.['fulfill:stage'] === ctx.tags['fulfill:stage']);
    if (hit) return hit.id;
    position = page.position;
  } while (position);
  return undefined;
}

export function invokeUrl(ctx: Pick<AwsContext, 'region'>, apiId: string, stage: string): string {
  return `https://${apiId}.execute-api.${ctx.region}.amazonaws.com/${stage}/orders`;
}

/** Ensures the REST API, its definition and a deployed stage with throttling; returns the invoke URL. */
export async function ensureApi(ctx: AwsContext, want: { name: string; stage: string; document: Record<string, unknown>; throttle: { rateLimit: number; burstLimit: number } }): Promise<string> {
  const { apigw } = ctx.clients;
  const specHash = createHash('sha256').update(JSON.stringify(want.document)).digest('hex').slice(0, 16);
  let apiId = await findRestApi(ctx, want.name);
  let created = false;
  if (!apiId) {
    const api = await apply(ctx, { resource: want.name, kind: 'api', action: 'created' }, () =>
      apigw.send(new CreateRestApiCommand({ name: want.name, description: 'fulfill order API', endpointConfiguration: { types: ['REGIONAL'] }, tags: { ...ctx.tags } })),
    );
    if (!api?.id) return invokeUrl(ctx, '<new-api-id>', want.stage); // dry run
    apiId = api.id;
    created = true;
  }
  const apiArn = `arn:aws:apigateway:${ctx.region}::/restapis/${apiId}`;
  const tags = created ? {} : ((await apigw.send(new GetTagsCommand({ resourceArn: apiArn }))).tags ?? {});
  let stage: Stage | undefined;
  if (!created) {
    try {
      stage = await apigw.send(new GetStageCommand({ restApiId: apiId, stageName: want.stage }));
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }
  if (tags[SPEC_TAG] !== specHash || !stage) {
    await apply(ctx, { resource: want.name, kind: 'api', action: created ? 'created' : 'updated', why: created ? undefined : [stage ? 'definition changed' : 'stage missing'] }, async () => {
      await apigw.send(new PutRestApiCommand({ restApiId: apiId, mode: 'overwrite', failOnWarnings: true, body: new TextEncoder().encode(JSON.stringify(want.document)) }));
      // A deployment only when the API changed: it is what makes the new definition live on the stage.
      await apigw.send(new CreateDeploymentCommand({ restApiId: apiId, stageName: want.stage, description: `fulfill ${specHash}` }));
    });
    if (!ctx.dryRun) stage = undefined;
  } else {
    unchanged(ctx, 'api', want.name);
  }
  const settings = stage?.methodSettings?.['*/*'];
  if (!stage || settings?.throttlingRateLimit !== want.throttle.rateLimit || settings?.throttlingBurstLimit !== want.throttle.burstLimit) {
    await apply(ctx, { resource: `${want.name}/${want.stage}`, kind: 'stage', action: 'updated', why: ['throttling'] }, () =>
      apigw.send(
        new UpdateStageCommand({
          restApiId: apiId,
          stageName: want.stage,
          patchOperations: [
            { op: 'replace', path: '/*/*/throttling/rateLimit', value: String(want.throttle.rateLimit) },
            { op: 'replace', path: '/*/*/throttling/burstLimit', value: String(want.throttle.burstLimit) },
          ],
        }),
      ),
    );
  }
  if (tags[SPEC_TAG] !== specHash) {
    // Tagged last: a run that failed before this point redeploys the definition next time.
    await apply(ctx, { resource: `${want.name}/${SPEC_TAG}`, kind: 'api', action: 'updated', why: ['definition hash'] }, () =>
      apigw.send(new TagResourceCommand({ resourceArn: apiArn, tags: { ...ctx.tags, [SPEC_TAG]: specHash } })),
    );
  }
  return invokeUrl(ctx, apiId, want.stage);
}

export async function deleteApi(ctx: AwsContext, name: string): Promise<void> {
  const apiId = await findRestApi(ctx, name);
  if (!apiId) return;
  await apply(ctx, { resource: name, kind: 'api', action: 'deleted' }, () => ctx.clients.apigw.send(new DeleteRestApiCommand({ restApiId: apiId })));
}
