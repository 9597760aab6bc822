import { Flags } from '@oclif/core';
import { checkStageName } from '../config/schema.js';
import { parseDuration } from '../duration.js';

/** The stage to work on; CI sets FULFILL_STAGE once for every command. Checked while parsing: before any file. */
export const stageFlags = {
  stage: Flags.string({
    char: 's',
    summary: 'Stage name (default: "stage" in fulfill.config.json).',
    env: 'FULFILL_STAGE',
    parse: async (input) => checkStageName(input),
  }),
};

/** A duration flag in the one grammar (`500ms`, `2s`, `1m`, `1h`; bare number = seconds), parsed to milliseconds. */
export const durationFlag = Flags.custom<number, { min?: number }>({
  parse: async (input, _context, options) => parseDuration(input, `--${options.name}`, options.min ?? 0),
});

/** Where to deploy or look: the local target (default) or AWS; with the AWS connection settings. */
export const targetFlags = {
  target: Flags.string({
    char: 't',
    summary: 'local (default: "target" in fulfill.config.json) or aws.',
    options: ['local', 'aws'],
    env: 'FULFILL_TARGET',
  }),
  region: Flags.string({
    summary: 'AWS region (default: AWS_REGION, else "region" in fulfill.config.json).',
    env: 'AWS_REGION',
  }),
  profile: Flags.string({
    summary: 'AWS named profile (default: AWS_PROFILE, else the default credential chain).',
    env: 'AWS_PROFILE',
  }),
  'endpoint-url': Flags.string({
    summary: 'AWS endpoint override, e.g. a local AWS emulator (default: AWS_ENDPOINT_URL).',
    env: 'AWS_ENDPOINT_URL',
  }),
  'api-url': Flags.string({
    summary: 'AWS target: post orders to <api-url>/orders (a custom domain, a VPC endpoint) instead of the invoke URL.',
    env: 'FULFILL_API_URL',
  }),
};

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
