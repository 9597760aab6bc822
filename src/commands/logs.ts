import { Flags } from '@oclif/core';
import { BaseCommand } from '../lib/cli/base-command.js';
import { parseSince, awsOptionsFrom, stageFlags, targetFlags, untilInterrupted } from '../lib/cli/flags.js';
import { renderLogEntry } from '../lib/cli/render.js';
import { loadConfig } from '../lib/config/schema.js';
import { EXIT_CODES_HELP, ExpectationError, UserError } from '../lib/errors.js';
import type { LocalStore } from '../lib/local/store.js';
import type { OrderOutcome } from '../lib/order/outcome.js';
import type { LogEntry, LogFilter, LogSource } from '../lib/logs/entry.js';
import { followLog, openLocalLog, queryLog } from '../lib/logs/read.js';

export default class Logs extends BaseCommand<typeof Logs> {
  static summary = 'Show execution history and event logs, per order or for a time window; --follow tails them.';
  static description = `Entries come from every process working on the stage (send-order, serve). With --json, each entry is printed as one JSON object per line (JSON Lines; schema in the README); errors are the usual JSON envelope.\n\n${EXIT_CODES_HELP}`;
  static examples = ['<%= config.bin %> logs --order ord-123', '<%= config.bin %> logs --since 10m --json', '<%= config.bin %> logs --follow'];
  static flags = {
    ...stageFlags,
    ...targetFlags,
    functions: Flags.boolean({ summary: 'AWS target: also the Lambda functions\' own log lines.', default: false }),
    order: Flags.string({ char: 'o', summary: 'Only this order id.' }),
    since: Flags.string({ summary: 'Only entries since a duration ago (90s, 10m, 2h, 1d) or an ISO 8601 time.' }),
    limit: Flags.integer({ char: 'n', summary: 'Only the last N entries (before following).', min: 1 }),
    source: Flags.string({ summary: 'Only these streams.', options: ['execution', 'events', 'api', 'function'], multiple: true }),
    follow: Flags.boolean({ char: 'f', summary: 'Keep printing new entries until interrupted (Ctrl-C); with --order, until the order ends (exit 1 if it did not succeed).', default: false }),
    execution: Flags.integer({ char: 'e', summary: 'With --order: this submission of the order (1 = the first; default: the latest).', min: 1, dependsOn: ['order'] }),
  };

  private printed = 0;

  async run(): Promise<{ entries: number }> {
    const { flags } = await this.parse(Logs);
    const config = loadConfig(flags.dir);
    const filter: LogFilter = {
      ...(flags.order ? { orderId: flags.order } : {}),
      ...(flags.since ? { since: parseSince(flags.since) } : {}),
      ...(flags.source ? { sources: flags.source as LogSource[] } : {}),
    };
    if ((flags.target ?? config.target) === 'aws') return this.fromAws(flags, filter);
    const store = openLocalLog(flags.dir, flags.stage ?? config.stage);
    const execution = flags.order ? this.pickExecution(store, flags.order, flags.execution) : undefined;
    const { entries, offset } = queryLog(store, { ...filter, ...(execution ? { execution } : {}), ...(flags.limit ? { limit: flags.limit } : {}) });
    for (const entry of entries) this.print(entry);
    if (!flags.follow) return { entries: this.printed };
    let outcome: OrderOutcome | undefined;
    await untilInterrupted(async (signal) => {
      outcome = await followLog(store, offset, filter, (e) => this.print(e), signal, flags.order ? { untilOutcomeOf: flags.order } : {});
    });
    if (outcome && outcome.status !== 'SUCCEEDED') {
      throw new ExpectationError(`order ${outcome.orderId} ended ${outcome.status}${outcome.error ? ` (${outcome.error.error}: ${outcome.error.cause})` : ''}`);
    }
    return { entries: this.printed };
  }

  /** One submission of the order: the one asked for, else the latest; the others are named in a note. */
  private pickExecution(store: LocalStore, orderId: string, wanted: number | undefined): number | undefined {
    const executions = store.listExecutions(orderId);
    if (wanted !== undefined && !executions.some((x) => x.execution === wanted)) {
      throw new UserError(`order ${orderId} has no execution ${wanted} (it has ${executions.length})`, executions.length ? [`Pick one of ${executions.map((x) => x.execution).join(', ')} with --execution.`] : []);
    }
    const chosen = wanted ?? executions.at(-1)?.execution;
    if (executions.length > 1 && !this.jsonEnabled()) {
      const list = executions.map((x) => `${x.execution} ${x.status}${x.execution === chosen ? ' (shown)' : ''}`).join(', ');
      process.stderr.write(`order ${orderId} was submitted ${executions.length} times: ${list}; pick one with --execution N\n`);
    }
    return chosen;
  }

  private async fromAws(flags: { dir: string; stage?: string; region?: string; profile?: string; 'endpoint-url'?: string; functions: boolean; follow: boolean; limit?: number }, filter: LogFilter): Promise<{ entries: number }> {
    const { connectStage } = await import('../lib/aws/stage.js');
    const { readAwsLogs, followAwsLogs, entryKey } = await import('../lib/aws/history.js');
    const stage = await connectStage(flags.dir, { ...(flags.stage ? { stage: flags.stage } : {}), ...awsOptionsFrom(flags) });
    const query = { ...filter, functions: flags.functions };
    const entries = await readAwsLogs(stage, query.since === undefined && !query.orderId ? { ...query, since: Date.now() - 3600_000 } : query);
    const seen = new Set(entries.map(entryKey));
    for (const entry of flags.limit ? entries.slice(-flags.limit) : entries) this.print(entry);
    if (flags.follow) await untilInterrupted((signal) => followAwsLogs(stage, query, seen, (e) => this.print(e), signal));
    return { entries: this.printed };
  }

  private print(entry: LogEntry) {
    this.printed++;
    if (this.jsonEnabled()) process.stdout.write(`${JSON.stringify(entry)}\n`);
    else this.log(renderLogEntry(entry));
  }

  /** Under --json the entries themselves are the output (JSON Lines): no success envelope after them. */
  protected override logJson(json: unknown): void {
    if ((json as { status?: number })?.status === 0) return;
    super.logJson(json);
  }
}
