// Programmatic entry point (`import { matchesPattern } from 'fulfill'`).
export {
  matchesPattern,
  validatePattern,
  testEventPattern,
  compilePattern,
  InvalidEventPatternError,
  type EventPattern,
} from './lib/events/pattern.js';
export {
  applyInputTransformer,
  validateInputTransformer,
  transformEventForTarget,
  type InputTransformer,
} from './lib/events/transformer.js';
export { buildOutcome, comparableOutcome, type OrderOutcome } from './lib/order/outcome.js';
export { orderSchema, orderJsonSchema, type Order } from './lib/order/model.js';
export { loadBlueprint, type Blueprint } from './lib/blueprint/blueprint.js';
export {
  eventFlowGraph,
  workflowGraph,
  flowDiagram,
  renderMermaid,
  renderDot,
  type FlowGraph,
  type FlowDiagram,
} from './lib/blueprint/flow-graph.js';
export { checkFlow, type FlowCheck, type FlowFinding } from './lib/blueprint/flow-check.js';
