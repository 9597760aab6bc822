/** The error payload Lambda returns for a function error (`X-Amz-Function-Error: Unhandled`). */
export interface LambdaErrorPayload {
  errorType: string;
  errorMessage: string;
  trace: string[];
}

export function toLambdaErrorPayload(error: unknown): LambdaErrorPayload {
  if (error instanceof Error) {
    return {
      errorType: error.name || 'Error',
      errorMessage: error.message,
      trace: (error.stack ?? '')
        .split('\n')
        .slice(1, 6)
        .map((l) => l.trim()),
    };
  }
  return { errorType: 'Error', errorMessage: typeof error === 'string' ? error : JSON.stringify(error), trace: [] };
}

/**
 * An invocation's failure as Step Functions sees it: the error name is Lambda's `errorType` (what Retry and
 * Catch match) and the cause is the payload as JSON text, exactly as in a real execution's history.
 */
export class FunctionError extends Error {
  constructor(readonly payload: LambdaErrorPayload) {
    super(JSON.stringify({ errorType: payload.errorType, errorMessage: payload.errorMessage, trace: payload.trace }));
    this.name = payload.errorType;
  }
}
