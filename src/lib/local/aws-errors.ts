/**
 * Errors the emulated services throw, named and shaped like the AWS SDK's service exceptions
 * (`name`, `$fault`, `$metadata.httpStatusCode`), so callers handle local and AWS failures alike.
 */
export class LocalServiceError extends Error {
  readonly $fault: 'client' | 'server';
  readonly $metadata: { httpStatusCode: number };
  constructor(name: string, message: string, status = 400) {
    super(message);
    this.name = name;
    this.$fault = status >= 500 ? 'server' : 'client';
    this.$metadata = { httpStatusCode: status };
  }
}
