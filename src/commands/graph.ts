import { Flags } from '@oclif/core';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { BaseCommand } from '../lib/cli/base-command.js';
import { loadBlueprint } from '../lib/blueprint/blueprint.js';
import { eventFlowGraph, renderDot, renderMermaid, workflowGraph, type FlowGraph } from '../lib/blueprint/flow-graph.js';
import { loadConfig } from '../lib/config/schema.js';
import { EXIT_CODES_HELP, ExpectationError } from '../lib/errors.js';

export default class Graph extends BaseCommand<typeof Graph> {
  static summary = 'Draw the event flow and the state machine (mermaid, dot or json), with any event-flow cycles.';
  static description = `The event flow is drawn from events.json: the API and each function -> the events they publish -> the rules whose pattern can match them -> the target functions. Exit code 1 when the event flow has a cycle.\n\n${EXIT_CODES_HELP}`;
  static examples = ['<%= config.bin %> graph', '<%= config.bin %> graph --format dot | dot -Tsvg > flow.svg', '<%= config.bin %> graph --only events --json'];
  static flags = {
    format: Flags.string({ summary: 'Output format.', options: ['mermaid', 'dot', 'json'], default: 'mermaid' }),
    only: Flags.string({ summary: 'Draw only one of the two wirings.', options: ['events', 'orchestration'] }),
  };

  async run(): Promise<{ events?: FlowGraph; orchestration?: FlowGraph }> {
    const { flags } = await this.parse(Graph);
    const config = loadConfig(flags.dir);
    const graphs: { events?: FlowGraph; orchestration?: FlowGraph } = {};
    const has = (file: string) => existsSync(join(flags.dir, file));
    if (flags.only !== 'orchestration' && has(config.events)) graphs.events = eventFlowGraph(loadBlueprint(flags.dir, { mode: 'events' }).events!);
    if (flags.only !== 'events' && has(config.workflow)) graphs.orchestration = workflowGraph(loadBlueprint(flags.dir, { mode: 'orchestration' }).workflow!.definition);
    const render = (g: FlowGraph, title: string) => (flags.format === 'dot' ? renderDot(g, title) : flags.format === 'json' ? JSON.stringify(g, null, 2) : renderMermaid(g, title));
    if (graphs.events) this.log(render(graphs.events, `${config.app}: event flow (${config.events})`));
    if (graphs.orchestration) this.log(render(graphs.orchestration, `${config.app}: state machine (${config.workflow})`));
    const cycles = graphs.events?.cycles ?? [];
    if (cycles.length > 0) {
      this.errorData = graphs;
      throw new ExpectationError(`${config.events}: the event flow has ${cycles.length} cycle(s): ${cycles.map((c) => c.map((id) => id.replace(/^\w+:/, '')).join(' -> ')).join('; ')}`);
    }
    return graphs;
  }
}
