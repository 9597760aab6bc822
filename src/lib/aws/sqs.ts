import { CreateQueueCommand, DeleteQueueCommand, GetQueueAttributesCommand, GetQueueUrlCommand, SetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { canonical } from './iam.js';
import { apply, isNotFound, unchanged, type AwsContext } from './context.js';
import type { PolicyDocument } from './policies.js';

async function queueUrl(ctx: AwsContext, name: string): Promise<string | undefined> {
  try {
    return (await ctx.clients.sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl;
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/** The dead-letter queue with its policy (14 days retention); returns the queue ARN. */
export async function ensureQueue(ctx: AwsContext, name: string, policy: (queueArn: string) => PolicyDocument): Promise<string> {
  const { sqs } = ctx.clients;
  const arn = `arn:aws:sqs:${ctx.region}:${ctx.account}:${name}`;
  const attributes = { MessageRetentionPeriod: '1209600', Policy: JSON.stringify(policy(arn)) };
  const url = await queueUrl(ctx, name);
  if (!url) {
    await apply(ctx, { resource: name, kind: 'queue', action: 'created' }, () => sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes, tags: { ...ctx.tags } })));
    return arn;
  }
  const have = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['Policy', 'MessageRetentionPeriod'] }))).Attributes ?? {};
  const samePolicy = have.Policy !== undefined && canonical(JSON.parse(have.Policy)) === canonical(policy(arn));
  if (samePolicy && have.MessageRetentionPeriod === attributes.MessageRetentionPeriod) {
    unchanged(ctx, 'queue', name);
    return arn;
  }
  await apply(ctx, { resource: name, kind: 'queue', action: 'updated', why: ['policy or retention changed'] }, () => sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: attributes })));
  return arn;
}

export async function deleteQueue(ctx: AwsContext, name: string): Promise<void> {
  const url = await queueUrl(ctx, name);
  if (!url) return;
  await apply(ctx, { resource: name, kind: 'queue', action: 'deleted' }, () => ctx.clients.sqs.send(new DeleteQueueCommand({ QueueUrl: url })));
}
