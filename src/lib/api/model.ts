import type { Blueprint } from '../blueprint/blueprint.js';
import { orderJsonSchema } from '../order/model.js';
import {
  errorResponseTemplate,
  putEventsResponseTemplate,
  putEventsTemplate,
  startExecutionResponseTemplate,
  startExecutionTemplate,
} from './templates.js';

/**
 * The fulfillment API, one description for both executors: the AWS deployer uploads these templates and this
 * model to API Gateway; the local API validates with the same model and renders the same templates.
 */
export interface ApiModel {
  readonly resourcePath: '/orders';
  /** The AWS service action the POST integration calls. */
  readonly integration: { service: 'states'; action: 'StartExecution' } | { service: 'events'; action: 'PutEvents' };
  readonly requestTemplate: string;
  readonly responseTemplate: string;
  readonly errorTemplate: string;
  /** JSON Schema (draft-04) of the request body: API Gateway's request model. */
  readonly requestModel: Record<string, unknown>;
  readonly corsOrigins: readonly string[];
  readonly throttle: { rateLimit: number; burstLimit: number };
}

/**
 * CORS: the methods a preflight allows, the same on both targets and every route, so a storefront written
 * against `fulfill serve` (POST /orders, GET /orders/{id}) works unchanged against the deployed API. Allowing
 * GET where a target has no GET route grants nothing: the request itself is answered 403/404.
 */
export const CORS_ALLOWED_METHODS = 'OPTIONS,POST,GET';
export const CORS_ALLOWED_HEADERS = 'Content-Type,X-Amz-Date,Authorization,X-Api-Key';

/** The API of a blueprint in an account (the state machine's ARN is part of the request template). */
export function apiModel(blueprint: Blueprint, account: string): ApiModel {
  const { config } = blueprint;
  const names = blueprint.names.inAccount(account);
  const common = {
    resourcePath: '/orders' as const,
    errorTemplate: errorResponseTemplate(),
    requestModel: orderJsonSchema(),
    corsOrigins: config.api.corsOrigins,
    throttle: config.api.throttle,
  };
  if (blueprint.mode === 'orchestration') {
    return {
      ...common,
      integration: { service: 'states', action: 'StartExecution' },
      requestTemplate: startExecutionTemplate(names.stateMachineArn()),
      responseTemplate: startExecutionResponseTemplate(),
    };
  }
  return {
    ...common,
    integration: { service: 'events', action: 'PutEvents' },
    requestTemplate: putEventsTemplate({
      eventBusName: names.busName(),
      source: blueprint.events!.source,
      detailType: blueprint.events!.orderPlaced,
    }),
    responseTemplate: putEventsResponseTemplate(),
  };
}
