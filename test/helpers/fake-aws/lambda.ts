import { createHash } from 'node:crypto';
import type { FakeAwsModel } from './model.js';
import { ACCOUNT, REGION, fail, page, type Any, type Handler } from './model.js';
import { allows, assumable } from './iam.js';

/** Lambda: functions with configuration, code hash, tags, resource policy and asynchronous invocation settings. */
export function lambdaHandlers(model: FakeAwsModel): Record<string, Handler> {
  const s = model.state;
  const fn = (name: string) =>
    s.functions[String(name).split(':').at(-1)!] ??
    fail('ResourceNotFoundException', `Function not found: ${functionArn(name)}`, 404);
  const sha = (zip: Uint8Array) => createHash('sha256').update(zip).digest('base64');
  // Lambda: a function is Pending after create and InProgress after an update, and refuses further updates meanwhile.
  const ready = (f: Any) => {
    if (f.config.State === 'Pending' || f.config.LastUpdateStatus === 'InProgress') {
      fail(
        'ResourceConflictException',
        `The operation cannot be performed at this time. An update is in progress for resource: ${f.config.FunctionArn}`,
        409,
      );
    }
  };
  const settle = (f: Any, field: 'State' | 'LastUpdateStatus', busy: string, done: string) => {
    f.config[field] = model.settleReads > 0 ? busy : done;
    f.settling = model.settleReads;
  };
  return {
    GetFunction: (i) => {
      const f = fn(i.FunctionName);
      const out = { Configuration: { ...f.config }, Code: { RepositoryType: 'S3' }, Tags: f.tags };
      if (f.settling && --f.settling === 0) {
        if (f.config.State === 'Pending') f.config.State = 'Active';
        if (f.config.LastUpdateStatus === 'InProgress') f.config.LastUpdateStatus = 'Successful';
      }
      return out;
    },
    CreateFunction: (i) => {
      if (model.propagation.lambda > 0) {
        model.propagation.lambda--;
        fail('InvalidParameterValueException', 'The role defined for the function cannot be assumed by Lambda.');
      }
      if (s.functions[i.FunctionName])
        fail('ResourceConflictException', `Function already exist: ${i.FunctionName}`, 409);
      if (!assumable(model.state, i.Role, 'lambda.amazonaws.com'))
        fail('InvalidParameterValueException', 'The role defined for the function cannot be assumed by Lambda.');
      const { Code, Tags, FunctionName, Publish: _p, ...config } = i;
      const f = {
        config: {
          FunctionName,
          FunctionArn: functionArn(FunctionName),
          ...config,
          CodeSha256: sha(Code.ZipFile),
          LastUpdateStatus: 'Successful',
        },
        tags: Tags ?? {},
        statements: [],
        settling: 0,
      };
      settle(f, 'State', 'Pending', 'Active');
      s.functions[FunctionName] = f;
      return f.config;
    },
    UpdateFunctionCode: (i) => {
      const f = fn(i.FunctionName);
      ready(f);
      f.config.CodeSha256 = sha(i.ZipFile);
      settle(f, 'LastUpdateStatus', 'InProgress', 'Successful');
      return f.config;
    },
    UpdateFunctionConfiguration: (i) => {
      const f = fn(i.FunctionName);
      ready(f);
      if (i.Role && !assumable(model.state, i.Role, 'lambda.amazonaws.com'))
        fail('InvalidParameterValueException', 'The role defined for the function cannot be assumed by Lambda.');
      const { FunctionName: _n, ...config } = i;
      Object.assign(f.config, config);
      settle(f, 'LastUpdateStatus', 'InProgress', 'Successful');
      return f.config;
    },
    GetPolicy: (i) => {
      const f = fn(i.FunctionName);
      if (!f.statements.length) fail('ResourceNotFoundException', 'The resource you requested does not exist.', 404);
      return {
        Policy: JSON.stringify({ Version: '2012-10-17', Id: 'default', Statement: f.statements }),
        RevisionId: 'r',
      };
    },
    AddPermission: (i) => {
      const f = fn(i.FunctionName);
      if (f.statements.some((st) => st.Sid === i.StatementId))
        fail(
          'ResourceConflictException',
          `The statement id (${i.StatementId}) provided already exists. Please provide a new statement id, or remove the existing statement.`,
          409,
        );
      // Lambda stores the SourceArn and SourceAccount conditions with capitalised AWS: keys.
      const statement = {
        Sid: i.StatementId,
        Effect: 'Allow',
        Principal: { Service: i.Principal },
        Action: i.Action,
        Resource: f.config.FunctionArn,
        Condition: {
          ...(i.SourceAccount ? { StringEquals: { 'AWS:SourceAccount': i.SourceAccount } } : {}),
          ...(i.SourceArn ? { ArnLike: { 'AWS:SourceArn': i.SourceArn } } : {}),
        },
      };
      f.statements.push(statement);
      return { Statement: JSON.stringify(statement) };
    },
    RemovePermission: (i) => {
      const f = fn(i.FunctionName);
      if (!f.statements.some((st) => st.Sid === i.StatementId))
        fail('ResourceNotFoundException', 'The resource you requested does not exist.', 404);
      f.statements = f.statements.filter((st) => st.Sid !== i.StatementId);
    },
    GetFunctionEventInvokeConfig: (i) => {
      const f = fn(i.FunctionName);
      return f.invokeConfig
        ? { FunctionArn: f.config.FunctionArn, ...f.invokeConfig }
        : fail(
            'ResourceNotFoundException',
            `The function ${f.config.FunctionArn} doesn't have an EventInvokeConfig`,
            404,
          );
    },
    PutFunctionEventInvokeConfig: (i) => {
      const f = fn(i.FunctionName);
      const destination = i.DestinationConfig?.OnFailure?.Destination;
      // Lambda checks the execution role may deliver to the destination when the config is saved.
      if (destination && !allows(model.state, f.config.Role, 'sqs:SendMessage', destination))
        fail(
          'InvalidParameterValueException',
          'The provided execution role does not have permissions to call SendMessage on SQS',
        );
      const { FunctionName: _n, ...config } = i;
      f.invokeConfig = config;
      return { FunctionArn: f.config.FunctionArn, ...config };
    },
    DeleteFunctionEventInvokeConfig: (i) => {
      const f = fn(i.FunctionName);
      if (!f.invokeConfig)
        fail(
          'ResourceNotFoundException',
          `The function ${f.config.FunctionArn} doesn't have an EventInvokeConfig`,
          404,
        );
      delete f.invokeConfig;
    },
    ListFunctions: (i) =>
      page(
        Object.values(s.functions).map((f) => ({
          FunctionName: f.config.FunctionName,
          FunctionArn: f.config.FunctionArn,
        })),
        i.Marker,
        i.MaxItems ?? 50,
        'Functions',
        'NextMarker',
      ),
    // Invoke: recorded, not run (the fake has no runtime); `Event` answers 202 as Lambda's asynchronous queue does.
    Invoke: (i) => {
      fn(i.FunctionName);
      const text = i.Payload === undefined ? '' : new TextDecoder().decode(i.Payload as Uint8Array);
      const invocationType = String(i.InvocationType ?? 'RequestResponse');
      model.invocations.push({
        functionName: String(i.FunctionName),
        invocationType,
        payload: text ? (JSON.parse(text) as unknown) : undefined,
      });
      return { StatusCode: invocationType === 'Event' ? 202 : 200 };
    },
    DeleteFunction: (i) => {
      fn(i.FunctionName);
      delete s.functions[i.FunctionName];
    },
  };
}

export function functionArn(nameOrArn: string): string {
  return String(nameOrArn).startsWith('arn:')
    ? String(nameOrArn)
    : `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${nameOrArn}`;
}
