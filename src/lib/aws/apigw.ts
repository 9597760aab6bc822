import { createHash } from 'node:crypto';
import {
  CreateDeploymentCommand,
  CreateRestApiCommand,
  CreateStageCommand,
  DeleteRestApiCommand,
  GetDeploymentCommand,
  GetRestApisCommand,
  GetTagsCommand,
  GetStageCommand,
  PutRestApiCommand,
  UpdateStageCommand,
  type PatchOperation,
  type Stage,
} from '@aws-sdk/client-api-gateway';
import { CORS_ALLOWED_HEADERS, CORS_ALLOWED_METHODS, type ApiModel } from '../api/model.js';
import { serviceActionUri } from '../blueprint/naming.js';
import type { DeployChange } from '../deploy/result.js';
import { canonical } from '../json.js';
import { apply, ignoreNotFound, unchanged, type AwsContext } from './context.js';
import { isOwned, mayDelete } from './ownership.js';

// API Gateway header mappings take static values in single quotes.
const CORS_METHODS = `'${CORS_ALLOWED_METHODS}'`;
const CORS_HEADERS = `'${CORS_ALLOWED_HEADERS}'`;

/**
 * CORS for a REST API. One origin (or "*") is a static header mapping. Several origins need the request's
 * Origin: integration response templates may read it and set `$context.responseOverride.header`, which is how
 * API Gateway answers "the caller's origin if it is allowed" (the local API does the same). The preamble only
 * sets variables: the body the template renders is unchanged.
 */
export function corsPlan(origins: readonly string[]): { staticOrigin?: string; templatePreamble: string } {
  if (origins.includes('*') || origins.length <= 1)
    return { staticOrigin: `'${origins.includes('*') ? '*' : (origins[0] ?? '*')}'`, templatePreamble: '' };
  const allowed = origins.map((o) => `$origin == "${o}"`).join(' || ');
  return {
    templatePreamble: [
      `#set($origin = $input.params().header.get('Origin'))`,
      `#if("$!origin" == "")#set($origin = $input.params().header.get('origin'))#end`,
      `#if(${allowed})`,
      `#set($context.responseOverride.header.Access-Control-Allow-Origin = $origin)`,
      `#set($context.responseOverride.header.Vary = "Origin")`,
      `#end`,
      '',
    ].join('\n'),
  };
}

/**
 * The whole REST API as one OpenAPI 3 document with API Gateway's extensions: POST /orders with an AWS service
 * integration (Step Functions StartExecution or EventBridge PutEvents) using the blueprint's mapping templates
 * and the API role, the order model (the blueprint's draft-04 schema) with a body validator, integration
 * responses mapping success and AWS errors to 200/400/500, CORS (an OPTIONS mock integration plus headers), and
 * gateway responses that say what is invalid. Imported with PutRestApi (mode overwrite), the API converges in
 * one atomic call instead of some twenty resource/method/integration writes that each can fail half-way.
 */
export function openApiDocument(
  name: string,
  model: ApiModel,
  region: string,
  apiRoleArn: string,
): Record<string, unknown> {
  const cors = corsPlan(model.corsOrigins);
  const originValue = cors.staticOrigin
    ? { 'method.response.header.Access-Control-Allow-Origin': cors.staticOrigin }
    : {};
  const headerSchema = { schema: { type: 'string' } };
  const corsHeaders = {
    'Access-Control-Allow-Origin': headerSchema,
    ...(cors.staticOrigin ? {} : { Vary: headerSchema }),
  };
  const withCors = (template: string) => `${cors.templatePreamble}${template}`;
  // OpenAPI schema objects have no $schema: API Gateway stores the imported model as draft-04 JSON Schema again.
  const { $schema: _draft, ...schema } = model.requestModel;
  const uri = serviceActionUri(region, model.integration.service, model.integration.action);
  // Gateway responses (invalid body, throttled, ...) run no VTL: several origins can only be echoed.
  const gatewayOrigin = cors.staticOrigin ?? 'method.request.header.Origin';
  // No statusCode on the defaults: a throttled call stays 429, a missing route 403.
  const gatewayResponse = (template: string, statusCode?: number) => ({
    ...(statusCode ? { statusCode } : {}),
    responseParameters: { 'gatewayresponse.header.Access-Control-Allow-Origin': gatewayOrigin },
    responseTemplates: { 'application/json': template },
  });
  return {
    openapi: '3.0.1',
    info: {
      title: name,
      version: '1',
      description: `fulfill order API (${model.integration.service}:${model.integration.action})`,
    },
    paths: {
      [model.resourcePath]: {
        post: {
          'x-amazon-apigateway-request-validator': 'body',
          requestBody: {
            required: true,
            content: { 'application/json': { schema: { $ref: '#/components/schemas/Order' } } },
          },
          responses: Object.fromEntries(
            ['200', '400', '500'].map((code) => [code, { description: code, headers: corsHeaders }]),
          ),
          'x-amazon-apigateway-integration': {
            type: 'aws',
            httpMethod: 'POST',
            uri,
            credentials: apiRoleArn,
            passthroughBehavior: 'never',
            requestTemplates: { 'application/json': model.requestTemplate },
            // EventBridge's JSON 1.1 protocol names the operation in a header; Step Functions' action URI is enough.
            ...(model.integration.service === 'events'
              ? {
                  requestParameters: {
                    'integration.request.header.X-Amz-Target': "'AWSEvents.PutEvents'",
                    'integration.request.header.Content-Type': "'application/x-amz-json-1.1'",
                  },
                }
              : {}),
            responses: {
              default: {
                statusCode: '200',
                responseTemplates: { 'application/json': withCors(model.responseTemplate) },
                responseParameters: originValue,
              },
              '4\\d{2}': {
                statusCode: '400',
                responseTemplates: { 'application/json': withCors(model.errorTemplate) },
                responseParameters: originValue,
              },
              '5\\d{2}': {
                statusCode: '500',
                responseTemplates: { 'application/json': withCors(model.errorTemplate) },
                responseParameters: originValue,
              },
            },
          },
        },
        options: {
          responses: {
            '200': {
              description: 'CORS preflight',
              headers: {
                ...corsHeaders,
                'Access-Control-Allow-Methods': headerSchema,
                'Access-Control-Allow-Headers': headerSchema,
              },
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
                  ...originValue,
                  'method.response.header.Access-Control-Allow-Methods': CORS_METHODS,
                  'method.response.header.Access-Control-Allow-Headers': CORS_HEADERS,
                },
                ...(cors.templatePreamble ? { responseTemplates: { 'application/json': cors.templatePreamble } } : {}),
              },
            },
          },
        },
      },
    },
    components: { schemas: { Order: schema } },
    'x-amazon-apigateway-request-validators': { body: { validateRequestBody: true, validateRequestParameters: false } },
    'x-amazon-apigateway-gateway-responses': {
      BAD_REQUEST_BODY: gatewayResponse(
        '{"message": "Invalid request body", "details": "$context.error.validationErrorString"}',
        400,
      ),
      DEFAULT_4XX: gatewayResponse('{"message": $context.error.messageString}'),
      DEFAULT_5XX: gatewayResponse('{"message": $context.error.messageString}'),
    },
  };
}

/** A short hash of the API document: kept in the description of the deployment the stage serves. */
export function specHash(document: Record<string, unknown>): string {
  return createHash('sha256').update(canonical(document)).digest('hex').slice(0, 16);
}

export function deploymentDescription(hash: string): string {
  return `fulfill spec ${hash}`;
}

/** The REST APIs with this name, with their tags (API Gateway lets several APIs share a name). */
async function restApisNamed(
  ctx: AwsContext,
  name: string,
): Promise<Array<{ id: string; tags: Record<string, string> | undefined }>> {
  const found: Array<{ id: string; tags: Record<string, string> | undefined }> = [];
  let position: string | undefined;
  do {
    const page = await ctx.clients.apigw.send(new GetRestApisCommand({ position, limit: 500 }));
    for (const api of page.items ?? []) if (api.name === name && api.id) found.push({ id: api.id, tags: api.tags });
    position = page.position;
  } while (position);
  return found;
}

/** The REST API with this name and this app's and stage's tags. */
export async function findRestApi(ctx: AwsContext, name: string): Promise<string | undefined> {
  return (await restApisNamed(ctx, name)).find((api) => isOwned(ctx, api.tags))?.id;
}

/**
 * Where POST /orders is served. AWS: `https://<api>.execute-api.<region>.amazonaws.com/<stage>/orders`. With an
 * endpoint override (an emulator such as LocalStack or moto), the emulator serves the stage under its own
 * endpoint: `<endpoint>/restapis/<api>/<stage>/_user_request_/orders`.
 */
export function invokeUrl(ctx: Pick<AwsContext, 'region' | 'endpointUrl'>, apiId: string, stage: string): string {
  if (ctx.endpointUrl) return `${ctx.endpointUrl.replace(/\/+$/, '')}/restapis/${apiId}/${stage}/_user_request_/orders`;
  return `https://${apiId}.execute-api.${ctx.region}.amazonaws.com/${stage}/orders`;
}

/** `--api-url`: the stage's base URL (a custom domain, a VPC endpoint); orders go to `<api-url>/orders`. */
export function ordersUrl(apiUrl: string): string {
  const base = apiUrl.replace(/\/+$/, '');
  return base.endsWith('/orders') ? base : `${base}/orders`;
}

export interface ApiSpec {
  name: string;
  stage: string;
  document: Record<string, unknown>;
  throttle: { rateLimit: number; burstLimit: number };
}

/**
 * The REST API, its definition and a stage serving it, with throttling and tracing. AWS is the truth about
 * what is live: the stage's deployment carries the hash of the document it was made from, so a new deployment
 * happens only when the document changed (or the stage serves something else). Returns the invoke URL.
 */
export async function ensureApi(ctx: AwsContext, want: ApiSpec): Promise<{ change: DeployChange; endpoint: string }> {
  const { apigw } = ctx.clients;
  const hash = specHash(want.document);
  const description = deploymentDescription(hash);
  const body = new TextEncoder().encode(JSON.stringify(want.document));
  const putDefinition = (restApiId: string) =>
    apigw.send(new PutRestApiCommand({ restApiId, mode: 'overwrite', failOnWarnings: true, body }));
  const stagePatch = (stage: Stage | undefined) => stageSettingsPatch(stage, want.throttle);

  let apiId = await findRestApi(ctx, want.name);
  if (!apiId) {
    const change: DeployChange = { resource: want.name, kind: 'api', action: 'created' };
    const created = await apply(ctx, change, async () => {
      const api = await apigw.send(
        new CreateRestApiCommand({
          name: want.name,
          description: 'fulfill order API',
          endpointConfiguration: { types: ['REGIONAL'] },
          tags: { ...ctx.tags },
        }),
      );
      await putDefinition(api.id!);
      const deployment = await apigw.send(new CreateDeploymentCommand({ restApiId: api.id!, description }));
      await apigw.send(
        new CreateStageCommand({
          restApiId: api.id!,
          stageName: want.stage,
          deploymentId: deployment.id!,
          tracingEnabled: true,
          tags: { ...ctx.tags },
        }),
      );
      await apigw.send(
        new UpdateStageCommand({ restApiId: api.id!, stageName: want.stage, patchOperations: stagePatch(undefined) }),
      );
      return api.id!;
    });
    apiId = created ?? '<new-api-id>';
    return { change, endpoint: invokeUrl(ctx, apiId, want.stage) };
  }

  const restApiId = apiId;
  const stage = await ignoreNotFound(() => apigw.send(new GetStageCommand({ restApiId, stageName: want.stage })));
  const live = stage?.deploymentId
    ? await ignoreNotFound(() => apigw.send(new GetDeploymentCommand({ restApiId, deploymentId: stage.deploymentId! })))
    : undefined;
  const definitionChanged = live?.description !== description;
  const patch = stagePatch(stage);
  const why = [
    ...(!stage ? ['stage missing'] : definitionChanged ? ['definition changed'] : []),
    ...(stage && patch.length ? ['stage settings changed'] : []),
  ];
  const endpoint = invokeUrl(ctx, restApiId, want.stage);
  if (why.length === 0) return { change: unchanged(ctx, 'api', want.name), endpoint };
  const change: DeployChange = { resource: want.name, kind: 'api', action: 'updated', why };
  await apply(ctx, change, async () => {
    if (definitionChanged || !stage) {
      await putDefinition(restApiId);
      // A deployment with a stage name moves that stage to it; a missing stage is created afterwards, with tags.
      const deployment = await apigw.send(
        new CreateDeploymentCommand({ restApiId, description, ...(stage ? { stageName: want.stage } : {}) }),
      );
      if (!stage)
        await apigw.send(
          new CreateStageCommand({
            restApiId,
            stageName: want.stage,
            deploymentId: deployment.id!,
            tracingEnabled: true,
            tags: { ...ctx.tags },
          }),
        );
    }
    const operations = stage ? patch : stagePatch(undefined);
    if (operations.length)
      await apigw.send(new UpdateStageCommand({ restApiId, stageName: want.stage, patchOperations: operations }));
  });
  return { change, endpoint };
}

/** The stage patch that brings throttling (all methods) and tracing to what is wanted; empty when they match. */
export function stageSettingsPatch(
  stage: Stage | undefined,
  throttle: { rateLimit: number; burstLimit: number },
): PatchOperation[] {
  const settings = stage?.methodSettings?.['*/*'];
  return [
    ...(settings?.throttlingRateLimit !== throttle.rateLimit
      ? [{ op: 'replace' as const, path: '/*/*/throttling/rateLimit', value: String(throttle.rateLimit) }]
      : []),
    ...(settings?.throttlingBurstLimit !== throttle.burstLimit
      ? [{ op: 'replace' as const, path: '/*/*/throttling/burstLimit', value: String(throttle.burstLimit) }]
      : []),
    ...(stage && stage.tracingEnabled !== true
      ? [{ op: 'replace' as const, path: '/tracingEnabled', value: 'true' }]
      : []),
  ];
}

/** Deletes the stage's REST API(s) of this name, and any REST API found by this stage's tags; others stay. */
export async function deleteApi(ctx: AwsContext, name: string, taggedIds: readonly string[] = []): Promise<void> {
  const candidates = await restApisNamed(ctx, name);
  for (const id of taggedIds)
    if (!candidates.some((c) => c.id === id)) candidates.push({ id, tags: await apiTags(ctx, id) });
  for (const api of candidates) {
    if (api.tags === undefined) continue; // listed by tag, already gone
    if (!mayDelete(ctx, `${name} (${api.id})`, api.tags)) continue;
    await apply(ctx, { resource: name, kind: 'api', action: 'deleted' }, () =>
      ignoreNotFound(() => ctx.clients.apigw.send(new DeleteRestApiCommand({ restApiId: api.id }))),
    );
  }
}

async function apiTags(ctx: AwsContext, id: string): Promise<Record<string, string> | undefined> {
  const found = await ignoreNotFound(() =>
    ctx.clients.apigw.send(new GetTagsCommand({ resourceArn: ctx.names.restApiArn(id) })),
  );
  return found ? (found.tags ?? {}) : undefined;
}
