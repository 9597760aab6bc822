import {
  CreateQueueCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListQueueTagsCommand,
  SetQueueAttributesCommand,
} from '@aws-sdk/client-sqs';
import type { DeployChange } from '../deploy/result.js';
import { canonical } from '../json.js';
import { apply, errorName, ignoreNotFound, retryWhile, unchanged, type AwsContext } from './context.js';
import { mayDelete } from './ownership.js';
import type { PolicyDocument } from './policies.js';

/** 14 days, SQS's maximum: dead letters are there to be looked at. */
export const DEAD_LETTER_RETENTION_SECONDS = '1209600';

async function queueUrl(ctx: AwsContext, name: string): Promise<string | undefined> {
  return (await ignoreNotFound(() => ctx.clients.sqs.send(new GetQueueUrlCommand({ QueueName: name }))))?.QueueUrl;
}

/** The dead-letter queue with its queue policy and retention. */
export async function ensureQueue(ctx: AwsContext, name: string, policy: PolicyDocument): Promise<DeployChange> {
  const { sqs } = ctx.clients;
  const attributes = { MessageRetentionPeriod: DEAD_LETTER_RETENTION_SECONDS, Policy: JSON.stringify(policy) };
  const url = await queueUrl(ctx, name);
  if (!url) {
    const change: DeployChange = { resource: name, kind: 'queue', action: 'created' };
    // SQS: a deleted queue's name can be reused only after 60 seconds (a mode switch back and forth).
    await apply(ctx, change, () =>
      retryWhile(
        ctx,
        (e) => errorName(e) === 'QueueDeletedRecently',
        () => sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes, tags: { ...ctx.tags } })),
      ),
    );
    return change;
  }
  const have =
    (
      await sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['Policy', 'MessageRetentionPeriod'] }),
      )
    ).Attributes ?? {};
  const why = [
    ...(have.Policy === undefined || canonical(JSON.parse(have.Policy)) !== canonical(policy)
      ? ['queue policy changed']
      : []),
    ...(have.MessageRetentionPeriod !== attributes.MessageRetentionPeriod ? ['retention changed'] : []),
  ];
  if (why.length === 0) return unchanged(ctx, 'queue', name);
  const change: DeployChange = { resource: name, kind: 'queue', action: 'updated', why };
  await apply(ctx, change, () => sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: attributes })));
  return change;
}

/** Deletes a queue of this stage; one without its tags stays. */
export async function deleteQueue(ctx: AwsContext, name: string): Promise<void> {
  const url = await queueUrl(ctx, name);
  if (!url) return;
  const tags = await ignoreNotFound(() => ctx.clients.sqs.send(new ListQueueTagsCommand({ QueueUrl: url })));
  if (!tags || !mayDelete(ctx, name, tags.Tags)) return;
  await apply(ctx, { resource: name, kind: 'queue', action: 'deleted' }, () =>
    ignoreNotFound(() => ctx.clients.sqs.send(new DeleteQueueCommand({ QueueUrl: url }))),
  );
}
