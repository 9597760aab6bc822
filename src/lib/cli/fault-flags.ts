import { Flags } from '@oclif/core';
import { UserError } from '../errors.js';
import { parseFaults, type FaultPlan } from '../local/faults.js';

/** `--inject`, the same on send-order, serve and compare (faults.ts documents the forms). */
export const faultFlags = {
  inject: Flags.string({
    summary:
      'Inject a fault (local target): <handler>:throw:<ErrorType>[:<message>], <handler>:delay:<duration>, <handler>:timeout, <handler>:fail:<n>, event:<detail-type>:duplicate|drop|delay:<duration>.',
    multiple: true,
    helpGroup: 'FAULTS',
  }),
};

/** The parsed `--inject` values; refused on the AWS target, where fulfill runs no code of its own around the functions. */
export function faultPlanFrom(inject: readonly string[] | undefined, target: string): FaultPlan | undefined {
  if (!inject?.length) return undefined;
  if (target === 'aws')
    throw new UserError(
      '--inject works on the local target only: on AWS the real services run the functions and events',
    );
  return parseFaults(inject);
}
