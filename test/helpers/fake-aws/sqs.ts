import type { FakeAwsModel } from './model.js';
import { ACCOUNT, REGION, fail, type Handler } from './model.js';

/** SQS: queues with attributes and tags. */
export function sqsHandlers(model: FakeAwsModel): Record<string, Handler> {
  const s = model.state;
  const url = (name: string) => `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${name}`;
  const queue = (u: string) =>
    s.queues[String(u).split('/').at(-1)!] ?? fail('QueueDoesNotExist', 'The specified queue does not exist.');
  return {
    GetQueueUrl: (i) =>
      s.queues[i.QueueName]
        ? { QueueUrl: url(i.QueueName) }
        : fail('QueueDoesNotExist', 'The specified queue does not exist.'),
    CreateQueue: (i) => {
      // SQS: a queue name cannot be reused for 60 seconds after DeleteQueue (here: the first attempt after a delete).
      if (model.recentlyDeletedQueues.delete(i.QueueName))
        fail(
          'QueueDeletedRecently',
          'You must wait 60 seconds after deleting a queue before you can create another with the same name.',
        );
      const existing = s.queues[i.QueueName];
      if (existing && JSON.stringify(existing.attributes) !== JSON.stringify({ ...i.Attributes }))
        fail('QueueNameExists', 'A queue already exists with the same name and a different value for attribute(s)');
      s.queues[i.QueueName] ??= { attributes: { ...i.Attributes }, tags: i.tags ?? {} };
      return { QueueUrl: url(i.QueueName) };
    },
    GetQueueAttributes: (i) => ({
      Attributes: {
        ...queue(i.QueueUrl).attributes,
        QueueArn: `arn:aws:sqs:${REGION}:${ACCOUNT}:${String(i.QueueUrl).split('/').at(-1)}`,
      },
    }),
    SetQueueAttributes: (i) => void Object.assign(queue(i.QueueUrl).attributes, i.Attributes),
    ListQueueTags: (i) => ({ Tags: queue(i.QueueUrl).tags }),
    // Messages (the dead-letter queue): visibility timeouts on wall-clock time, as SQS.
    SendMessage: (i) => {
      const q = queue(i.QueueUrl);
      const MessageId = model.id('msg-');
      (q.messages ??= []).push({
        MessageId,
        Body: String(i.MessageBody),
        ...(i.MessageAttributes ? { MessageAttributes: i.MessageAttributes } : {}),
        visibleAt: 0,
        receives: 0,
      });
      return { MessageId };
    },
    ReceiveMessage: (i) => {
      const q = queue(i.QueueUrl);
      const now = Date.now();
      const timeout = Number(i.VisibilityTimeout ?? q.attributes.VisibilityTimeout ?? 30);
      const ready = (q.messages ?? []).filter((m) => m.visibleAt <= now).slice(0, Number(i.MaxNumberOfMessages ?? 1));
      for (const m of ready) {
        m.receives++;
        m.ReceiptHandle = `rh-${m.MessageId}-${m.receives}`;
        m.visibleAt = now + timeout * 1000;
      }
      return {
        Messages: ready.map((m) => ({
          MessageId: m.MessageId,
          ReceiptHandle: m.ReceiptHandle,
          Body: m.Body,
          ...(m.MessageAttributes && i.MessageAttributeNames?.length ? { MessageAttributes: m.MessageAttributes } : {}),
        })),
      };
    },
    DeleteMessage: (i) => {
      const q = queue(i.QueueUrl);
      const index = (q.messages ?? []).findIndex((m) => m.ReceiptHandle === i.ReceiptHandle);
      if (index === -1) fail('ReceiptHandleIsInvalid', `The input receipt handle "${i.ReceiptHandle}" is not valid.`);
      q.messages!.splice(index, 1);
    },
    ChangeMessageVisibility: (i) => {
      const m = (queue(i.QueueUrl).messages ?? []).find((x) => x.ReceiptHandle === i.ReceiptHandle);
      if (!m) fail('ReceiptHandleIsInvalid', `The input receipt handle "${i.ReceiptHandle}" is not valid.`);
      m.visibleAt = Date.now() + Number(i.VisibilityTimeout) * 1000;
    },
    DeleteQueue: (i) => {
      const name = String(i.QueueUrl).split('/').at(-1)!;
      queue(i.QueueUrl);
      delete s.queues[name];
      model.recentlyDeletedQueues.add(name);
    },
  };
}
