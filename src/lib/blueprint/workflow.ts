import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { requireVendored } from '../vendor/require-vendored.js';
import { UserError } from '../errors.js';
import { parseUserJson } from '../json.js';
import type { HandlerSpec } from './handlers.js';

export type AslDefinition = { StartAt: string; States: Record<string, AslState>; [key: string]: unknown };
export type AslState = { Type: string; Resource?: string; [key: string]: unknown };

export interface Workflow {
  /** The file the definition came from, relative to the project. */
  readonly file: string;
  /** The definition as written, with `${function:NAME}` placeholders. */
  readonly definition: AslDefinition;
  /** Task state name -> handler name, for every Task (also inside Parallel branches and Map iterators). */
  readonly tasks: ReadonlyMap<string, string>;
}

/** `${function:authorize-payment}`: a Task's Resource naming a handler; the executors substitute the function ARN. */
const FUNCTION_PLACEHOLDER = /^\$\{function:([a-z][a-z0-9-]*)\}$/;

export function loadWorkflow(
  projectDir: string,
  file: string,
  handlers: readonly HandlerSpec[],
  resolveArn: (handler: string) => string,
  knownValid: readonly unknown[] = [],
): Workflow {
  let text: string;
  try {
    text = readFileSync(join(projectDir, file), 'utf8');
  } catch {
    throw new UserError(`${file} not found`, [
      'Orchestration mode needs a state machine definition: restore it with `fulfill init --force` in a new folder, or fix "workflow" in fulfill.config.json.',
    ]);
  }
  const definition = parseUserJson(text, file) as AslDefinition;
  if (
    !definition ||
    typeof definition !== 'object' ||
    typeof definition.States !== 'object' ||
    definition.States === null
  ) {
    throw new UserError(`${file}: not a state machine definition ("States" object missing)`);
  }
  const known = new Set(handlers.map((h) => h.name));
  const tasks = new Map<string, string>();
  forEachState(definition, (name, state) => {
    if (state.Type !== 'Task') return;
    const match = typeof state.Resource === 'string' ? FUNCTION_PLACEHOLDER.exec(state.Resource) : null;
    if (!match) {
      throw new UserError(
        `${file}: Task state "${name}" has Resource ${JSON.stringify(state.Resource)}; fulfill runs Tasks that name a handler`,
        ['Write "Resource": "${function:HANDLER}" where HANDLER is a file in the handlers folder.'],
      );
    }
    const handler = match[1];
    if (!known.has(handler)) {
      throw new UserError(`${file}: Task state "${name}" names handler "${handler}", which does not exist`, [
        `Known handlers: ${[...known].join(', ')}.`,
      ]);
    }
    if (tasks.has(name))
      throw new UserError(`${file}: two Task states are named "${name}"; state names must be unique`);
    tasks.set(name, handler);
  });

  const resolved = resolveWorkflow({ file, definition, tasks }, resolveArn);
  const errors = aslErrors(resolved, knownValid);
  if (errors !== undefined) throw new UserError(`${file}: invalid Amazon States Language: ${errors}`);
  return { file, definition, tasks };
}

// The installed asl-validator builds and compiles a new Ajv with all its schemas on every call (0.4-0.8 s of CPU);
// the bundle the CLI loads (dist/vendor, scripts/asl-precompiled.js) has them compiled ahead of time (a few ms).
// Either way, remember the verdict per definition, for a process that loads the same project many times (serve,
// watch, the in-process command tests).
const aslVerdicts = new Map<string, string | undefined>();

/** The validator's errors for a resolved definition, or undefined when it is valid. */
function aslErrors(resolved: unknown, knownValid: readonly unknown[]): string | undefined {
  const key = JSON.stringify(resolved);
  // A definition validated before (the deployed one: deploy validated it) needs no second look: validating
  // costs 300-600 ms of CPU, most of `fulfill status`.
  if (knownValid.some((definition) => JSON.stringify(definition) === key)) return undefined;
  if (!aslVerdicts.has(key)) {
    if (aslVerdicts.size >= 100) aslVerdicts.clear();
    // Required on first use (it is CommonJS): loading it and Ajv costs ~80 ms, wasted on every command that
    // loads a blueprint but meets a definition it validated before, and on events-mode projects.
    const validate = requireVendored('asl-validator', 'asl-validator.cjs') as (d: unknown) => {
      isValid: boolean;
      errorsText: (sep?: string) => string;
    };
    // asl-validator adds defaults (QueryLanguage) to what it checks: give it a copy, keep the definition as read.
    const result = validate(JSON.parse(key));
    aslVerdicts.set(key, result.isValid ? undefined : result.errorsText('; '));
  }
  return aslVerdicts.get(key);
}

/** The definition with every `${function:NAME}` replaced by the function's ARN: what CreateStateMachine receives. */
export function resolveWorkflow(
  workflow: Pick<Workflow, 'definition'> & Partial<Workflow>,
  resolveArn: (handler: string) => string,
): AslDefinition {
  const copy = structuredClone(workflow.definition);
  forEachState(copy, (_name, state) => {
    const match =
      state.Type === 'Task' && typeof state.Resource === 'string' ? FUNCTION_PLACEHOLDER.exec(state.Resource) : null;
    if (match) state.Resource = resolveArn(match[1]);
  });
  return copy;
}

function forEachState(definition: AslDefinition, visit: (name: string, state: AslState) => void): void {
  for (const [name, state] of Object.entries(definition.States ?? {})) {
    if (!state || typeof state !== 'object') continue;
    visit(name, state);
    for (const branch of (state.Branches as AslDefinition[] | undefined) ?? []) forEachState(branch, visit);
    const iterator = (state.ItemProcessor ?? state.Iterator) as AslDefinition | undefined;
    if (iterator?.States) forEachState(iterator, visit);
  }
}
