import { Flags } from '@oclif/core';
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BaseCommand } from '../lib/cli/base-command.js';
import { loadBlueprint } from '../lib/blueprint/blueprint.js';
import { checkFlow, DEFAULT_MAX_FAN_OUT, findingMarks, type FlowCheck } from '../lib/blueprint/flow-check.js';
import {
  eventFlowGraph,
  flowDiagram,
  renderDot,
  renderMermaid,
  workflowGraph,
  type FlowDiagram,
  type FlowGraph,
} from '../lib/blueprint/flow-graph.js';
import { loadConfig } from '../lib/config/schema.js';
import { EXIT_CODES_HELP, ExpectationError, UserError } from '../lib/errors.js';

type GraphResult = FlowDiagram & { check?: FlowCheck };

export default class Graph extends BaseCommand<typeof Graph> {
  static summary = 'Draw the event flow and the state machine as one diagram, or check the event flow (--check).';
  static description = `One document: the event flow (events.json: the API and each function -> the events they publish -> the rules whose pattern can match them, labelled with the pattern's content filter -> the target functions) and the state machine, each a subgraph. Cycles are drawn in red; nodes a finding names are filled (red: error, amber: warning) and tagged.

--check prints the flow analysis instead: FLOW_CYCLE, RULE_UNSATISFIABLE (errors: deploy refuses them), EVENT_DEAD_END, HANDLER_UNREACHABLE, PUBLISH_SHADOWED, FAN_OUT_WIDE (warnings), and the fan-out width of each event.

svg and png are rendered by Graphviz's dot, which must be on PATH. Exit code 1 when the check finds an error.\n\n${EXIT_CODES_HELP}`;
  static examples = [
    '<%= config.bin %> graph > flow.mmd',
    '<%= config.bin %> graph --format svg -o flow.svg',
    '<%= config.bin %> graph --format dot | dot -Tpng > flow.png',
    '<%= config.bin %> graph --check',
    '<%= config.bin %> graph --only events --format json',
  ];
  static flags = {
    format: Flags.string({
      summary: 'Output format (svg and png need Graphviz dot on PATH).',
      options: ['mermaid', 'dot', 'json', 'svg', 'png'],
      default: 'mermaid',
    }),
    only: Flags.string({ summary: 'Draw only one of the two wirings.', options: ['events', 'orchestration'] }),
    output: Flags.string({ char: 'o', summary: 'Write the diagram to this file instead of stdout.' }),
    check: Flags.boolean({
      summary: 'Print the flow analysis of the event flow instead of a diagram.',
      default: false,
    }),
    'max-fan-out': Flags.integer({
      summary: 'Fan-out width above which an event is a FAN_OUT_WIDE warning.',
      default: DEFAULT_MAX_FAN_OUT,
      min: 1,
    }),
  };

  async run(): Promise<GraphResult> {
    const { flags } = await this.parse(Graph);
    const config = loadConfig(flags.dir);
    const has = (file: string) => existsSync(join(flags.dir, file));
    let events: FlowGraph | undefined;
    let check: FlowCheck | undefined;
    if (flags.only !== 'orchestration' && has(config.events)) {
      const blueprint = loadBlueprint(flags.dir, { mode: 'events' });
      events = eventFlowGraph(blueprint.events!);
      check = checkFlow(
        blueprint.events!,
        { handlers: blueprint.handlers.map((h) => h.name), maxFanOut: flags['max-fan-out'] },
        events,
      );
    }
    const orchestration =
      flags.only !== 'events' && has(config.workflow)
        ? workflowGraph(loadBlueprint(flags.dir, { mode: 'orchestration' }).workflow!.definition)
        : undefined;
    if (!events && !orchestration) {
      throw new UserError(`nothing to draw: neither ${config.events} nor ${config.workflow} exists in ${flags.dir}`, [
        'Run `fulfill init` to scaffold a project, or fix "events"/"workflow" in fulfill.config.json.',
      ]);
    }
    const diagram = flowDiagram(
      `${config.app}: ${[events ? 'event flow' : '', orchestration ? 'state machine' : ''].filter(Boolean).join(' and ')}`,
      {
        ...(events ? { events: { graph: events, label: `event flow (${config.events})` } } : {}),
        ...(orchestration
          ? { orchestration: { graph: orchestration, label: `state machine (${config.workflow})` } }
          : {}),
      },
      check ? findingMarks(check) : [],
    );
    const result: GraphResult = { ...diagram, ...(check ? { check } : {}) };

    if (flags.check) {
      if (!check) throw new UserError(`--check: ${config.events} not found; the flow analysis is about the event flow`);
      this.log(renderCheck(check));
    } else if (!this.jsonEnabled() || flags.output) {
      this.emit(render(result, flags.format), flags.output);
    }
    for (const f of check?.findings ?? [])
      if (!flags.check && f.severity === 'warning') this.warnUser(`${f.code}: ${f.message}`);
    const errors = check?.findings.filter((f) => f.severity === 'error') ?? [];
    if (errors.length > 0) {
      this.errorData = result;
      throw new ExpectationError(
        `${config.events}: ${errors[0].message}${errors.length > 1 ? ` (and ${errors.length - 1} more error(s))` : ''}`,
        [
          flags.check
            ? 'Fix the rule pattern or what the producer publishes; deploy refuses these unless --allow-cycles / --allow-flow-errors.'
            : 'See every finding with `fulfill graph --check`.',
        ],
      );
    }
    return result;
  }

  private emit(output: string | Buffer, file: string | undefined): void {
    if (file) writeFileSync(file, output);
    else if (Buffer.isBuffer(output)) process.stdout.write(output);
    else this.log(output);
  }
}

function render(diagram: GraphResult, format: string): string | Buffer {
  // json is the same document as the --json envelope's result: the diagram and the flow check.
  if (format === 'json') return JSON.stringify(diagram, null, 2);
  if (format === 'dot') return renderDot(diagram);
  if (format === 'mermaid') return renderMermaid(diagram);
  const dot = spawnSync('dot', [`-T${format}`], { input: renderDot(diagram), maxBuffer: 64 * 1024 * 1024 });
  const spawnError: NodeJS.ErrnoException | undefined = dot.error;
  if (spawnError?.code === 'ENOENT') {
    throw new UserError(
      `--format ${format} needs Graphviz's "dot" on PATH: install graphviz (apt-get install graphviz, brew install graphviz)`,
      [
        `Or render elsewhere: fulfill graph --format dot > flow.dot, then dot -T${format} flow.dot -o flow.${format}; or fulfill graph > flow.mmd for Mermaid.`,
      ],
    );
  }
  if (dot.error || dot.status !== 0)
    throw new Error(`dot -T${format} failed: ${dot.error?.message ?? dot.stderr.toString().trim()}`);
  return dot.stdout;
}

function renderCheck(check: FlowCheck): string {
  const lines =
    check.findings.length === 0
      ? ['no findings']
      : check.findings.map((f) => `${f.severity.padEnd(7)} ${f.code.padEnd(19)} ${f.message}`);
  if (check.fanOut.length > 0) {
    lines.push('', 'fan-out (rules per event; width = most matched by one event):');
    for (const f of check.fanOut) lines.push(`  ${f.event.padEnd(22)} width ${f.width}  ${f.rules.join(', ')}`);
  }
  return lines.join('\n');
}
