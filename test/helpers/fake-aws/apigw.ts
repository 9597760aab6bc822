import type { FakeAwsModel } from './model.js';
import { fail, page, type Handler } from './model.js';

/** API Gateway: REST APIs with their imported document, deployments and stages. */
export function apigwHandlers(model: FakeAwsModel): Record<string, Handler> {
  const s = model.state;
  const api = (id: string) => s.apis[id] ?? fail('NotFoundException', 'Invalid API identifier specified', 404);
  const stage = (id: string, name: string) =>
    api(id).stages[name] ?? fail('NotFoundException', 'Invalid stage identifier specified', 404);
  const apiIdOf = (arn: string) => String(arn).split('/restapis/')[1].split('/')[0];
  return {
    GetRestApis: (i) =>
      page(
        Object.entries(s.apis).map(([id, a]) => ({ id, name: a.name, tags: a.tags })),
        i.position,
        i.limit ?? 25,
        'items',
        'position',
      ),
    CreateRestApi: (i) => {
      const id = model.id('api');
      s.apis[id] = { name: i.name, tags: { ...i.tags }, body: null, stages: {}, deployments: {} };
      return { id, name: i.name, tags: i.tags };
    },
    GetTags: (i) => ({ tags: api(apiIdOf(i.resourceArn)).tags }),
    TagResource: (i) => void Object.assign(api(apiIdOf(i.resourceArn)).tags, i.tags),
    PutRestApi: (i) => {
      const a = api(i.restApiId);
      a.body = JSON.parse(new TextDecoder().decode(i.body));
      return { id: i.restApiId, name: a.name };
    },
    GetStage: (i) => ({ stageName: i.stageName, ...stage(i.restApiId, i.stageName) }),
    GetDeployment: (i) => {
      const d =
        api(i.restApiId).deployments[i.deploymentId] ??
        fail('NotFoundException', 'Invalid Deployment identifier specified', 404);
      return { id: i.deploymentId, ...d };
    },
    CreateDeployment: (i) => {
      const a = api(i.restApiId);
      if (!a.body) fail('BadRequestException', "The REST API doesn't contain any methods");
      const id = model.id('dep');
      a.deployments[id] = { description: i.description };
      if (i.stageName)
        a.stages[i.stageName] = {
          ...(a.stages[i.stageName] ?? { methodSettings: {}, tracingEnabled: false, tags: {} }),
          deploymentId: id,
        };
      return { id, description: i.description };
    },
    CreateStage: (i) => {
      const a = api(i.restApiId);
      if (a.stages[i.stageName]) fail('ConflictException', 'Stage already exists', 409);
      if (!a.deployments[i.deploymentId]) fail('BadRequestException', 'Invalid deployment identifier specified');
      a.stages[i.stageName] = {
        deploymentId: i.deploymentId,
        methodSettings: {},
        tracingEnabled: Boolean(i.tracingEnabled),
        tags: { ...i.tags },
      };
      return { stageName: i.stageName, ...a.stages[i.stageName] };
    },
    UpdateStage: (i) => {
      const st = stage(i.restApiId, i.stageName);
      for (const op of i.patchOperations) {
        const throttle = /^\/([^/]+)\/([^/]+)\/throttling\/(rateLimit|burstLimit)$/.exec(op.path);
        if (throttle) {
          const settings = (st.methodSettings[`${throttle[1]}/${throttle[2]}`] ??= {});
          settings[throttle[3] === 'rateLimit' ? 'throttlingRateLimit' : 'throttlingBurstLimit'] = Number(op.value);
        } else if (op.path === '/tracingEnabled') st.tracingEnabled = op.value === 'true';
        else if (op.path === '/deploymentId') st.deploymentId = op.value;
        else fail('BadRequestException', `Invalid patch path ${op.path}`);
      }
      return st;
    },
    DeleteRestApi: (i) => {
      api(i.restApiId);
      delete s.apis[i.restApiId];
    },
  };
}
