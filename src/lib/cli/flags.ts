import { Flags } from '@oclif/core';
import { UserError } from '../errors.js';

/** The stage to work on; CI sets FULFILL_STAGE once for every command. */
export const stageFlags = {
  stage: Flags.string({ char: 's', summary: 'Stage name (default: "stage" in fulfill.config.json).', env: 'FULFILL_STAGE' }),
};

/** Parses `--since`: a duration back from now (`90s`, `10m`, `2h`, `1d`) or an ISO 8601 time. */
export function parseSince(text: string, now = Date.now()): number {
  const duration = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(text.trim());
  if (duration) {
    const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[duration[2] as 'ms' | 's' | 'm' | 'h' | 'd'];
    return now - Number(duration[1]) * unit;
  }
  const time = Date.parse(text);
  if (Number.isNaN(time)) throw new UserError(`--since must be a duration such as 10m, 2h, 1d or an ISO 8601 time (got ${JSON.stringify(text)})`);
  return time;
}

/** Where to deploy or look: the local target (default) or AWS; with the AWS connection settings. */
export const targetFlags = {
  target: Flags.string({ char: 't', summary: 'local (default: "target" in fulfill.config.json) or aws.', options: ['local', 'aws'], env: 'FULFILL_TARGET' }),
  region: Flags.string({ summary: 'AWS region (default: AWS_REGION, else "region" in fulfill.config.json).', env: 'AWS_REGION' }),
  profile: Flags.string({ summary: 'AWS named profile (default: AWS_PROFILE, else the default credential chain).', env: 'AWS_PROFILE' }),
  'endpoint-url': Flags.string({ summary: 'AWS endpoint override, e.g. a local AWS emulator (default: AWS_ENDPOINT_URL).', env: 'AWS_ENDPOINT_URL' }),
  'api-url': Flags.string({ summary: 'AWS target: post orders to <api-url>/orders (a custom domain, a VPC endpoint) instead of the invoke URL.', env: 'FULFILL_API_URL' }),
};

/** The AWS connection settings given as flags (absent ones left to the SDK's environment and profile chain). */
export function awsOptionsFrom(flags: { region?: string; profile?: string; 'endpoint-url'?: string; 'api-url'?: string }): { region?: string; profile?: string; endpointUrl?: string; apiUrl?: string } {
  return {
    ...(flags.region ? { region: flags.region } : {}),
    ...(flags.profile ? { profile: flags.profile } : {}),
    ...(flags['endpoint-url'] ? { endpointUrl: flags['endpoint-url'] } : {}),
    ...(flags['api-url'] ? { apiUrl: flags['api-url'] } : {}),
  };
}

/** Runs `work` until it ends or the user interrupts (Ctrl-C, SIGTERM): the signal aborts it cleanly. */
export async function untilInterrupted(work: (signal: AbortSignal) => Promise<void>): Promise<void> {
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    await work(controller.signal);
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}
