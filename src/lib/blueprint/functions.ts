import type { Blueprint } from './blueprint.js';

/** Environment variables of a deployed function, the same on AWS and on the local target. */
export function functionEnvironment(blueprint: Blueprint, handler: string): Record<string, string> {
  const env: Record<string, string> = {
    FULFILL_APP: blueprint.config.app,
    FULFILL_STAGE: blueprint.stage,
    FULFILL_MODE: blueprint.mode,
    FULFILL_HANDLER: handler,
  };
  const route = blueprint.events?.functions[handler];
  if (blueprint.events && route) {
    env.FULFILL_BUS_NAME = blueprint.names.busName();
    env.FULFILL_SOURCE = eventSource(handler);
    env.FULFILL_ROUTE = JSON.stringify(route);
  }
  return env;
}

/** The `source` of events a function publishes in events mode. */
export function eventSource(handler: string): string {
  return `fulfill.${handler}`;
}
