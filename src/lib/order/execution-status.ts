import type { OutcomeStatus } from './outcome.js';

/**
 * A Step Functions execution status as an outcome status: RUNNING (and PENDING_REDRIVE, a failed execution
 * that may be redriven) are not terminal yet; every other end that is not a success, time-out or abort is a
 * failure. One mapping for every place that reads executions.
 */
export function executionOutcomeStatus(status: string | undefined): OutcomeStatus {
  switch (status) {
    case 'SUCCEEDED':
    case 'TIMED_OUT':
    case 'ABORTED':
    case 'RUNNING':
      return status;
    case 'PENDING_REDRIVE':
      return 'RUNNING';
    default:
      return 'FAILED';
  }
}
