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

export function apiModel(blueprint: Blueprint, account?: string): ApiModel {
  const { names, config } = blueprint;
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
      requestTemplate: startExecutionTemplate(names.stateMachineArn(account)),
      responseTemplate: startExecutionResponseTemplate(),
    };
  }
  return {
    ...common,
    integration: { service: 'events', action: 'PutEvents' },
    requestTemplate: putEventsTemplate({ eventBusName: names.busName(), source: blueprint.events!.source, detailType: blueprint.events!.orderPlaced }),
    responseTemplate: putEventsResponseTemplate(),
  };
}
