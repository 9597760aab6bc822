import { UserError } from '../errors.js';

/** One submission of an order (the local target keeps each as its own execution, oldest first). */
export interface ExecutionSummary {
  execution: number;
  status: string;
  startedAt: string;
}

export interface ExecutionChoice {
  /** The submission to show: the one asked for, else the latest (undefined when the order has none). */
  chosen: number | undefined;
  all: ExecutionSummary[];
  /** One line naming the other submissions, when there are any. */
  note: string | undefined;
}

/** `logs --order X --execution N` and `trace X --execution N`: which submission of the order to show. */
export function pickExecution(orderId: string, all: ExecutionSummary[], wanted: number | undefined): ExecutionChoice {
  if (wanted !== undefined && !all.some((x) => x.execution === wanted)) {
    const choices = all.length ? [`Pick one of ${all.map((x) => x.execution).join(', ')} with --execution.`] : [];
    throw new UserError(`--execution: order ${orderId} has no execution ${wanted} (it has ${all.length})`, choices);
  }
  const chosen = wanted ?? all.at(-1)?.execution;
  const listed = all.map(
    (x) => `${x.execution} ${x.status} at ${x.startedAt}${x.execution === chosen ? ' (shown)' : ''}`,
  );
  const note =
    all.length > 1
      ? `order ${orderId} was submitted ${all.length} times: ${listed.join(', ')}; pick one with --execution N`
      : undefined;
  return { chosen, all, note };
}
