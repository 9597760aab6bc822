import type { Mode } from '../config/schema.js';

/** What a deploy did (or, under --dry-run, would do), per resource: the same shape for both targets. */
export interface DeployChange {
  resource: string;
  kind:
    | 'function'
    | 'state-machine'
    | 'event-bus'
    | 'archive'
    | 'rule'
    | 'api'
    | 'role'
    | 'policy'
    | 'permission'
    | 'log-group'
    | 'queue'
    | 'target'
    | 'stage';
  action: 'created' | 'updated' | 'unchanged' | 'deleted';
  why?: string[];
}

export interface DeployResult {
  target: 'local' | 'aws';
  app: string;
  stage: string;
  mode: Mode;
  region: string;
  /** AWS target: the account deployed to. */
  account?: string;
  deployedAt: string;
  changes: DeployChange[];
  /** Where orders go: the local API (`fulfill send-order` / `fulfill serve`) or the invoke URL. */
  endpoint: string;
  warnings: string[];
  /** True when nothing was written (`--dry-run`): `changes` say what would happen. */
  dryRun?: boolean;
}

/** One step of a deploy, shown as one line of progress. */
export interface DeployStep {
  title: string;
  run: () => Promise<string | void>;
}
