import type { FakeAwsModel } from './model.js';
import { ACCOUNT, REGION, fail, page, type Handler } from './model.js';
import { allows, assumable } from './iam.js';

/** Step Functions: state machines by ARN, with tags. */
export function sfnHandlers(model: FakeAwsModel): Record<string, Handler> {
  const s = model.state;
  const machine = (arn: string) =>
    s.machines[arn] ?? fail('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
  return {
    ListStateMachines: (i) =>
      page(
        Object.entries(s.machines).map(([arn, m]) => ({
          stateMachineArn: arn,
          name: m.name,
          type: m.type,
          creationDate: new Date(0),
        })),
        i.nextToken,
        i.maxResults ?? 100,
        'stateMachines',
        'nextToken',
      ),
    CreateStateMachine: (i) => {
      const arn = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${i.name}`;
      if (model.propagation.states > 0) {
        model.propagation.states--;
        fail(
          'AccessDeniedException',
          'Neither the global service principal states.amazonaws.com, nor the regional one is authorized to assume the provided role.',
        );
      }
      if (s.machines[arn]) fail('StateMachineAlreadyExists', `State Machine Already Exists: '${arn}'`);
      if (!assumable(model.state, i.roleArn, 'states.amazonaws.com'))
        fail(
          'AccessDeniedException',
          'Neither the global service principal states.amazonaws.com, nor the regional one is authorized to assume the provided role.',
        );
      if (
        i.loggingConfiguration?.level &&
        i.loggingConfiguration.level !== 'OFF' &&
        !allows(model.state, i.roleArn, 'logs:CreateLogDelivery', '*')
      ) {
        fail('AccessDeniedException', 'The state machine IAM Role is not authorized to access the Log Destination');
      }
      JSON.parse(i.definition);
      s.machines[arn] = {
        name: i.name,
        type: i.type,
        definition: i.definition,
        roleArn: i.roleArn,
        loggingConfiguration: i.loggingConfiguration,
        tracingConfiguration: i.tracingConfiguration,
        tags: i.tags ?? [],
      };
      return { stateMachineArn: arn, creationDate: new Date(0) };
    },
    DescribeStateMachine: (i) => {
      const { tags: _t, ...m } = machine(i.stateMachineArn);
      return { stateMachineArn: i.stateMachineArn, status: 'ACTIVE', creationDate: new Date(0), ...m };
    },
    UpdateStateMachine: (i) => {
      const { stateMachineArn, ...rest } = i;
      Object.assign(machine(stateMachineArn), rest);
      return { updateDate: new Date(0) };
    },
    ListTagsForResource: (i) => ({ tags: machine(i.resourceArn).tags ?? [] }),
    DeleteStateMachine: (i) => void delete s.machines[i.stateMachineArn],
  };
}
