import { ACCOUNT, type Handler } from './model.js';

/** STS: the caller's account. */
export function stsHandlers(): Record<string, Handler> {
  return {
    GetCallerIdentity: () => ({ Account: ACCOUNT, Arn: `arn:aws:iam::${ACCOUNT}:user/ci`, UserId: 'AIDAFAKE' }),
  };
}
