// The calls AWS would authorize for what the local engines do on the functions' behalf (`fulfill iam check`):
// Step Functions invoking a Task's function, EventBridge invoking a rule's target, API Gateway's integration
// (StartExecution or PutEvents), a function's PutEvents through the bus, Lambda writing each invocation's log
// and delivering a failed asynchronous invocation to the dead-letter queue, each as the role (or resource
// policy) AWS checks it against.
import type { Naming } from '../blueprint/naming.js';
import type { EngineObserver } from '../local/backend.js';
import type { PolicyCall } from './compare.js';

/** Whose permissions a call uses on AWS: one of the stage's roles, or EventBridge's permission on a function. */
export type Principal = 'functions' | 'states' | 'api' | 'events';

export interface ObservedCall extends PolicyCall {
  principal: Principal;
  /** How often the run made this call. */
  count: number;
}

export interface EngineCallLog {
  observer: EngineObserver;
  /** Distinct calls in the order first seen, each with its count. */
  readonly calls: readonly ObservedCall[];
  /** Adds a call made some other way (a handler's own SDK call, from the call recorder). */
  add(call: Omit<ObservedCall, 'count'>): void;
}

export const STEP_FUNCTIONS = 'Step Functions';
export const API_GATEWAY = 'API Gateway';

export function engineCallLog(names: Naming): EngineCallLog {
  const calls = new Map<string, ObservedCall>();
  const add = (call: Omit<ObservedCall, 'count'>) => {
    const key = JSON.stringify([call.principal, call.function, call.action, call.resource, call.context ?? {}]);
    const known = calls.get(key);
    if (known) known.count++;
    else calls.set(key, { ...call, count: 1 });
  };
  const busArn = (name: string | undefined) =>
    name?.startsWith('arn:') ? name : `arn:aws:events:${names.region}:${names.account}:event-bus/${name ?? 'default'}`;
  // PutEvents is authorized against each bus its entries name.
  const putEvents = (principal: Principal, by: string, request: unknown) => {
    const entries = (request as { Entries?: Array<{ EventBusName?: string }> } | undefined)?.Entries;
    const buses = new Set(
      (Array.isArray(entries) && entries.length ? entries : [{}]).map((e) => busArn(e?.EventBusName)),
    );
    for (const resource of buses) add({ principal, function: by, action: 'events:PutEvents', resource });
  };
  const observer: EngineObserver = {
    taskInvoked: (handler) =>
      add({
        principal: 'states',
        function: STEP_FUNCTIONS,
        action: 'lambda:InvokeFunction',
        resource: names.functionArn(handler),
      }),
    integrationCalled: (request) => {
      const start = request as { stateMachineArn?: unknown };
      if (start && typeof start === 'object' && 'stateMachineArn' in start) {
        add({
          principal: 'api',
          function: API_GATEWAY,
          action: 'states:StartExecution',
          resource: typeof start.stateMachineArn === 'string' ? start.stateMachineArn : '*',
        });
      } else putEvents('api', API_GATEWAY, request);
    },
    published: (fn, request) => putEvents('functions', fn, request),
    delivering: (rule, target) =>
      add({
        principal: 'events',
        function: `rule ${rule}`,
        action: 'lambda:InvokeFunction',
        resource: names.functionArn(target),
        context: { 'aws:SourceArn': names.ruleArn(rule), 'aws:SourceAccount': names.account },
      }),
    // On AWS a function's error after an asynchronous invocation ends at its on-failure destination, which
    // Lambda sends with the function's role; locally the bus dead-letters that delivery.
    deadLettered: (_rule, target) =>
      add({
        principal: 'functions',
        function: target,
        action: 'sqs:SendMessage',
        resource: names.deadLetterQueueArn(),
      }),
    // Lambda writes every invocation's START/END/REPORT lines (and the handler's output) with the function's role.
    invoked: (handler) => {
      const stream = `${names.logGroupArn(names.functionLogGroup(handler))}:log-stream:local`;
      for (const action of ['logs:CreateLogStream', 'logs:PutLogEvents'])
        add({ principal: 'functions', function: handler, action, resource: stream });
    },
  };
  return {
    observer,
    get calls() {
      return [...calls.values()];
    },
    add,
  };
}
