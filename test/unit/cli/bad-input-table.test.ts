import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LocalBackend } from '../../../src/lib/local/backend.js';
import { FulfillServer } from '../../../src/lib/local/server.js';
import { TEMPLATE, tempDir } from '../../helpers/cli.js';
import { quickTemplateProject } from '../../helpers/project.js';
import { openStateDb } from '../../helpers/state.js';
import { cli, type InProcessResult } from '../../helpers/run-command.js';

// The contract for bad input (README "Exit codes"): the documented exit code, exactly one line starting with
// "Error:" that names the file, field or flag (plus "→" suggestion lines), no stack trace; under --json one
// envelope whose status is the exit code. Each row is one mistake a user can make.

type Mutation = (dir: string) => void;
interface Row {
  /** What the user did wrong. */
  name: string;
  args: string[];
  /** Changes to a fresh copy of the template project (orchestration mode, stage "test"). */
  setup?: Mutation;
  /** Run in the shared deployed project instead of a fresh one. */
  deployed?: boolean;
  env?: Record<string, string>;
  exit: number;
  /** What the error line must say (it names the file, field or flag). */
  says: RegExp;
}

const read = (dir: string, file: string) => readFileSync(join(dir, file), 'utf8');
const write =
  (file: string, text: string): Mutation =>
  (dir) => {
    mkdirSync(join(dir, file, '..'), { recursive: true });
    writeFileSync(join(dir, file), text);
  };
const edit =
  (file: string, change: (text: string) => string): Mutation =>
  (dir) =>
    writeFileSync(join(dir, file), change(read(dir, file)));
const json =
  (file: string, change: (value: any) => void): Mutation =>
  (dir) => {
    const value = JSON.parse(read(dir, file));
    change(value);
    writeFileSync(join(dir, file), JSON.stringify(value, null, 2));
  };
const config = (change: (c: Record<string, unknown>) => void) => json('fulfill.config.json', change);
const events =
  (change: (e: any) => void): Mutation =>
  (dir) => {
    json('events.json', change)(dir);
    config((c) => (c.mode = 'events'))(dir);
  };
const asl = (change: (a: any) => void) => json('workflow.asl.json', change);
const order =
  (name: string, change: (o: any) => void): Mutation =>
  (dir) => {
    const value = JSON.parse(read(dir, 'orders/credit-card-1p.json'));
    change(value);
    writeFileSync(join(dir, name), JSON.stringify(value));
  };

const CONFIG = 'fulfill\\.config\\.json';
const configRows: Row[] = [
  {
    name: 'config is not JSON',
    args: ['deploy'],
    setup: write('fulfill.config.json', '{ "app": '),
    exit: 2,
    says: new RegExp(`${CONFIG}: not valid JSON`),
  },
  {
    name: 'config is missing',
    args: ['deploy'],
    setup: (d) => rmSync(join(d, 'fulfill.config.json')),
    exit: 2,
    says: new RegExp(`${CONFIG} not found`),
  },
  {
    name: 'config app with capitals',
    args: ['deploy'],
    setup: config((c) => (c.app = 'MyShop')),
    exit: 2,
    says: new RegExp(`${CONFIG}: "app" must be`),
  },
  {
    name: 'config app too long',
    args: ['deploy'],
    setup: config((c) => (c.app = 'a'.repeat(30))),
    exit: 2,
    says: /"app" must be 1-24/,
  },
  { name: 'config app missing', args: ['deploy'], setup: config((c) => delete c.app), exit: 2, says: /"app"/ },
  {
    name: 'config stage with a slash',
    args: ['deploy'],
    setup: config((c) => (c.stage = '../x')),
    exit: 2,
    says: /"stage" must be 1-16/,
  },
  {
    name: 'config stage with a space',
    args: ['status'],
    setup: config((c) => (c.stage = 'Prod 1')),
    exit: 2,
    says: /"stage" must be 1-16/,
  },
  { name: 'config stage as number', args: ['deploy'], setup: config((c) => (c.stage = 7)), exit: 2, says: /"stage"/ },
  {
    name: 'config unknown mode',
    args: ['deploy'],
    setup: config((c) => (c.mode = 'choreography')),
    exit: 2,
    says: /"mode"/,
  },
  {
    name: 'config unknown target',
    args: ['deploy'],
    setup: config((c) => (c.target = 'gcp')),
    exit: 2,
    says: /"target"/,
  },
  {
    name: 'config bad region',
    args: ['deploy'],
    setup: config((c) => (c.region = 'europe')),
    exit: 2,
    says: /"region" must be an AWS region/,
  },
  {
    name: 'config unknown field',
    args: ['deploy'],
    setup: config((c) => (c.colour = 'blue')),
    exit: 2,
    says: new RegExp(`${CONFIG}: .*colour`),
  },
  {
    name: 'config timeout too large',
    args: ['deploy'],
    setup: config((c) => (c.functions = { timeoutSeconds: 901 })),
    exit: 2,
    says: /"functions\.timeoutSeconds"/,
  },
  {
    name: 'config timeout not an integer',
    args: ['deploy'],
    setup: config((c) => (c.functions = { timeoutSeconds: 1.5 })),
    exit: 2,
    says: /"functions\.timeoutSeconds"/,
  },
  {
    name: 'config memory too small',
    args: ['deploy'],
    setup: config((c) => (c.functions = { memoryMb: 64 })),
    exit: 2,
    says: /"functions\.memoryMb"/,
  },
  {
    name: 'config CORS origin with a path',
    args: ['deploy'],
    setup: config((c) => (c.api = { corsOrigins: ['http://x.test/path'] })),
    exit: 2,
    says: /"api\.corsOrigins\[0\]" must be an origin/,
  },
  {
    name: 'config throttle rate negative',
    args: ['deploy'],
    setup: config((c) => (c.api = { throttle: { rateLimit: -1 } })),
    exit: 2,
    says: /"api\.throttle\.rateLimit"/,
  },
  {
    name: 'config burst not an integer',
    args: ['deploy'],
    setup: config((c) => (c.api = { throttle: { burstLimit: 2.5 } })),
    exit: 2,
    says: /"api\.throttle\.burstLimit"/,
  },
  {
    name: 'config is an array',
    args: ['deploy'],
    setup: write('fulfill.config.json', '[]'),
    exit: 2,
    says: new RegExp(`${CONFIG}: `),
  },
  {
    name: 'config handlersDir empty',
    args: ['deploy'],
    setup: config((c) => (c.handlersDir = '')),
    exit: 2,
    says: /"handlersDir"/,
  },
  {
    name: 'config handlers folder missing',
    args: ['deploy'],
    setup: config((c) => (c.handlersDir = 'nowhere')),
    exit: 2,
    says: /nowhere/,
  },
  {
    name: 'config with a BOM and a bad field',
    args: ['deploy'],
    setup: (d) => writeFileSync(join(d, 'fulfill.config.json'), `\uFEFF${JSON.stringify({ app: 'Bad' })}`),
    exit: 2,
    says: /"app" must be/,
  },
  {
    name: 'config in graph',
    args: ['graph'],
    setup: write('fulfill.config.json', '{'),
    exit: 2,
    says: new RegExp(`${CONFIG}: not valid JSON`),
  },
  {
    name: 'config in logs',
    args: ['logs'],
    setup: write('fulfill.config.json', '{'),
    exit: 2,
    says: new RegExp(`${CONFIG}: not valid JSON`),
  },
];

const ASL = 'workflow\\.asl\\.json';
const aslRows: Row[] = [
  {
    name: 'ASL not JSON',
    args: ['deploy'],
    setup: write('workflow.asl.json', '{"States": '),
    exit: 2,
    says: new RegExp(`${ASL}: not valid JSON`),
  },
  {
    name: 'ASL missing',
    args: ['deploy'],
    setup: (d) => rmSync(join(d, 'workflow.asl.json')),
    exit: 2,
    says: new RegExp(`${ASL} not found`),
  },
  {
    name: 'ASL without States',
    args: ['deploy'],
    setup: write('workflow.asl.json', '{"StartAt": "A"}'),
    exit: 2,
    says: /"States" object missing/,
  },
  {
    name: 'ASL unknown state type',
    args: ['deploy'],
    setup: edit('workflow.asl.json', (t) => t.replace('"Type": "Choice"', '"Type": "Chooser"')),
    exit: 2,
    says: new RegExp(`${ASL}: invalid Amazon States Language`),
  },
  {
    name: 'ASL StartAt names no state',
    args: ['deploy'],
    setup: asl((a) => (a.StartAt = 'Nowhere')),
    exit: 2,
    says: new RegExp(`${ASL}: `),
  },
  {
    name: 'ASL Task names a missing handler',
    args: ['deploy'],
    setup: edit('workflow.asl.json', (t) => t.replace('${function:calculate-fee}', '${function:calculate-fees}')),
    exit: 2,
    says: /names handler "calculate-fees", which does not exist/,
  },
  {
    name: 'ASL Next names no state',
    args: ['deploy'],
    setup: edit('workflow.asl.json', (t) => t.replace('"Next": "DetermineSeller"', '"Next": "Nowhere"')),
    exit: 2,
    says: new RegExp(`${ASL}: `),
  },
  {
    name: 'ASL is an array',
    args: ['deploy'],
    setup: write('workflow.asl.json', '[]'),
    exit: 2,
    says: new RegExp(`${ASL}: `),
  },
  {
    name: 'ASL file configured elsewhere',
    args: ['deploy'],
    setup: config((c) => (c.workflow = 'flows/missing.json')),
    exit: 2,
    says: /flows\/missing\.json not found/,
  },
  {
    name: 'ASL broken in graph',
    args: ['graph', '--only', 'orchestration'],
    setup: write('workflow.asl.json', '{'),
    exit: 2,
    says: new RegExp(`${ASL}: not valid JSON`),
  },
];

const EVENTS = 'events\\.json';
const eventRows: Row[] = [
  {
    name: 'events.json not JSON',
    args: ['deploy'],
    setup: (d) => {
      write('events.json', '{')(d);
      config((c) => (c.mode = 'events'))(d);
    },
    exit: 2,
    says: new RegExp(`${EVENTS}: not valid JSON`),
  },
  {
    name: 'events.json missing',
    args: ['deploy', '--mode', 'events'],
    setup: (d) => rmSync(join(d, 'events.json')),
    exit: 2,
    says: new RegExp(`${EVENTS} not found`),
  },
  {
    name: 'events rule name with capitals',
    args: ['deploy'],
    setup: events((e) => (e.rules[0].name = 'Authorize')),
    exit: 2,
    says: /"rules\[0\]\.name" must be 1-40/,
  },
  {
    name: 'events rule target not a handler',
    args: ['deploy'],
    setup: events((e) => (e.rules[0].target = 'pay')),
    exit: 2,
    says: /"rules\[0\]" \(authorize-payment\): target "pay" is not a handler/,
  },
  {
    name: 'events duplicate rule name',
    args: ['deploy'],
    setup: events((e) => (e.rules[1].name = e.rules[0].name)),
    exit: 2,
    says: /rule names must be unique/,
  },
  {
    name: 'events pattern with a bad operator',
    args: ['deploy'],
    setup: events((e) => (e.rules[0].pattern = { source: [{ prefx: 'a' }] })),
    exit: 2,
    says: /"rules\[0\]" \(authorize-payment\)\.pattern: /,
  },
  {
    name: 'events pattern value not an array',
    args: ['deploy'],
    setup: events((e) => (e.rules[0].pattern = { source: 'fulfill.api' })),
    exit: 2,
    says: /\.pattern: /,
  },
  {
    name: 'events numeric pattern malformed',
    args: ['deploy'],
    setup: events((e) => (e.rules[0].pattern = { detail: { total: [{ numeric: ['>'] }] } })),
    exit: 2,
    says: /\.pattern: /,
  },
  {
    name: 'events transformer template empty',
    args: ['deploy'],
    setup: events((e) => (e.rules[0].inputTransformer = { InputTemplate: '' })),
    exit: 2,
    says: /\.inputTransformer: InputTemplate is required/,
  },
  {
    name: 'events transformer undefined placeholder',
    args: ['deploy'],
    setup: events((e) => (e.rules[0].inputTransformer = { InputTemplate: '{"a": <nope>}' })),
    exit: 2,
    says: /\.inputTransformer: InputTemplate uses <nope>/,
  },
  {
    name: 'events transformer path without $',
    args: ['deploy'],
    setup: events(
      (e) => (e.rules[0].inputTransformer = { InputPathsMap: { d: 'detail' }, InputTemplate: '{"a": <d>}' }),
    ),
    exit: 2,
    says: /InputPathsMap "d" must be a JSON path/,
  },
  {
    name: 'events transformer template not JSON after substitution',
    args: ['deploy'],
    setup: events(
      (e) => (e.rules[0].inputTransformer = { InputPathsMap: { d: '$.detail' }, InputTemplate: '{"Input": <d>,}' }),
    ),
    exit: 2,
    says: /"rules\[0\]" \(authorize-payment\)\.inputTransformer: InputTemplate is not valid JSON after its placeholders/,
  },
  {
    name: 'events transformer unquoted text in JSON',
    args: ['deploy'],
    setup: events(
      (e) =>
        (e.rules[0].inputTransformer = { InputPathsMap: { d: '$.detail' }, InputTemplate: '{"Input": <d> and more}' }),
    ),
    exit: 2,
    says: /InputTemplate is not valid JSON/,
  },
  {
    name: 'events functions entry for no handler',
    args: ['deploy'],
    setup: events((e) => (e.functions.ghost = { resultPath: 'g', publishes: [{ detailType: 'Ghost' }] })),
    exit: 2,
    says: /"functions\.ghost" names a handler that does not exist/,
  },
  {
    name: 'events resultPath nested',
    args: ['deploy'],
    setup: events((e) => (e.functions['calculate-fee'].resultPath = 'a.b')),
    exit: 2,
    says: /"functions\.calculate-fee\.resultPath" must be a top-level field/,
  },
  {
    name: 'events no terminal events',
    args: ['deploy'],
    setup: events((e) => (e.outcome.succeeded = [])),
    exit: 2,
    says: /"outcome\.succeeded"/,
  },
  {
    name: 'events bad detail type',
    args: ['deploy'],
    setup: events((e) => (e.orderPlaced = '1 placed')),
    exit: 2,
    says: /"orderPlaced" must be an event name/,
  },
  {
    name: 'events retry attempts too many',
    args: ['deploy'],
    setup: events((e) => (e.delivery.maximumRetryAttempts = 500)),
    exit: 2,
    says: /"delivery\.maximumRetryAttempts"/,
  },
  { name: 'events no rules', args: ['deploy'], setup: events((e) => (e.rules = [])), exit: 2, says: /"rules"/ },
  {
    name: 'events when pattern invalid',
    args: ['deploy'],
    setup: events((e) => (e.functions['notify-customer'].publishes[0].when = { error: 'x' })),
    exit: 2,
    says: /"functions\.notify-customer\.publishes\[0\]\.when": /,
  },
  {
    name: 'events broken in graph',
    args: ['graph', '--only', 'events'],
    setup: write('events.json', '{'),
    exit: 2,
    says: new RegExp(`${EVENTS}: not valid JSON`),
  },
];

const handlerRows: Row[] = [
  {
    name: 'handler does not compile',
    args: ['deploy'],
    setup: edit('handlers/select-warehouse.ts', (t) => t.replace('return warehouseFor', 'return = warehouseFor')),
    exit: 2,
    says: /handlers\/select-warehouse\.ts:\d+:\d+: handler "select-warehouse" does not compile/,
  },
  {
    name: 'handler imports a missing module',
    args: ['deploy'],
    setup: edit('handlers/calculate-fee.ts', (t) => `import './does-not-exist.js';\n${t}`),
    exit: 2,
    says: /handlers\/calculate-fee\.ts:\d+:\d+: handler "calculate-fee" does not compile/,
  },
  {
    name: 'a handler the state machine needs is gone',
    args: ['deploy'],
    setup: (d) => rmSync(join(d, 'handlers/issue-invoices.ts')),
    exit: 2,
    says: /names handler "issue-invoices", which does not exist/,
  },
  {
    name: 'a handler the event flow needs is gone',
    args: ['deploy'],
    setup: (d) => {
      rmSync(join(d, 'handlers/issue-invoices.ts'));
      config((c) => (c.mode = 'events'))(d);
    },
    exit: 2,
    says: /events\.json: "functions\.issue-invoices" names a handler that does not exist/,
  },
];

const flagRows: Row[] = [
  {
    name: 'destroy --stage ../..',
    args: ['destroy', '--stage', '../..', '--yes'],
    exit: 2,
    says: /--stage must be 1-16/,
  },
  {
    name: 'FULFILL_STAGE=../../..',
    args: ['destroy', '--yes'],
    env: { FULFILL_STAGE: '../../..' },
    exit: 2,
    says: /--stage must be 1-16/,
  },
  {
    name: 'send-order --stage with a slash',
    args: ['send-order', '--stage', 'a/b'],
    exit: 2,
    says: /--stage must be 1-16/,
  },
  { name: 'logs --stage ..', args: ['logs', '--stage', '..'], exit: 2, says: /--stage must be 1-16/ },
  {
    name: 'trace --stage with capitals',
    args: ['trace', 'x', '--stage', 'PROD'],
    exit: 2,
    says: /--stage must be 1-16/,
  },
  {
    name: 'status --stage too long',
    args: ['status', '--stage', 'a'.repeat(17)],
    exit: 2,
    says: /--stage must be 1-16/,
  },
  { name: 'serve --stage ../x', args: ['serve', '--stage', '../x'], exit: 2, says: /--stage must be 1-16/ },
  {
    name: 'deploy --stage with a space',
    args: ['deploy', '--stage', 'Bad Stage'],
    exit: 2,
    says: /--stage must be 1-16/,
  },
  { name: 'init --stage ..', args: ['init', 'x', '--stage', '..', '--yes'], exit: 2, says: /--stage must be 1-16/ },
  { name: 'deploy --mode unknown', args: ['deploy', '--mode', 'saga'], exit: 2, says: /--mode/ },
  { name: 'deploy --target unknown', args: ['deploy', '--target', 'gcp'], exit: 2, says: /--target/ },
  { name: 'an unknown flag', args: ['deploy', '--fast'], exit: 2, says: /Nonexistent flag: --fast/ },
  {
    name: 'send-order --count 0',
    args: ['send-order', '--count', '0'],
    deployed: true,
    exit: 2,
    says: /--count: Expected an integer greater than or equal to 1 but received: 0/,
  },
  {
    name: 'send-order --count abc',
    args: ['send-order', '--count', 'abc'],
    deployed: true,
    exit: 2,
    says: /--count: Expected an integer/,
  },
  {
    name: 'send-order --concurrency 0',
    args: ['send-order', '--concurrency', '0', '--count', '2'],
    deployed: true,
    exit: 2,
    says: /--concurrency: Expected an integer greater than or equal to 1/,
  },
  {
    name: 'send-order --timeout 1x',
    args: ['send-order', '--timeout', '1x'],
    deployed: true,
    exit: 2,
    says: /--timeout must be a duration such as 500ms, 2s, 1m or 1h/,
  },
  {
    name: 'send-order --timeout 0s',
    args: ['send-order', '--timeout', '0s'],
    deployed: true,
    exit: 2,
    says: /--timeout must be at least 1 ms/,
  },
  {
    name: 'send-order --expect maybe',
    args: ['send-order', '--expect', 'maybe'],
    deployed: true,
    exit: 2,
    says: /--expect/,
  },
  {
    name: 'send-order --expect with --no-wait',
    args: ['send-order', '--expect', 'succeeded', '--no-wait'],
    deployed: true,
    exit: 2,
    says: /--expect needs the outcome/,
  },
  {
    name: 'send-order --quantity 0',
    args: ['send-order', '--quantity', '0'],
    deployed: true,
    exit: 2,
    says: /--quantity must be at least 1 \(got 0\)/,
  },
  {
    name: 'send-order --price abc',
    args: ['send-order', '--price', 'abc'],
    deployed: true,
    exit: 2,
    says: /--price must be a number \(got "abc"\)/,
  },
  {
    name: 'send-order --price -5',
    args: ['send-order', '--price', '-5'],
    deployed: true,
    exit: 2,
    says: /--price must be greater than 0/,
  },
  {
    name: 'send-order --ship-to Germany',
    args: ['send-order', '--ship-to', 'Germany'],
    deployed: true,
    exit: 2,
    says: /--ship-to must be an ISO 3166 alpha-2 code/,
  },
  {
    name: 'send-order --order-id with a space',
    args: ['send-order', '--order-id', 'has space'],
    deployed: true,
    exit: 2,
    says: /--order-id must be 1-80 letters/,
  },
  { name: 'send-order --seller 2P', args: ['send-order', '--seller', '2P'], deployed: true, exit: 2, says: /--seller/ },
  {
    name: 'send-order --currency euro',
    args: ['send-order', '--currency', 'euro'],
    deployed: true,
    exit: 2,
    says: /--currency/,
  },
  {
    name: 'logs --limit 0',
    args: ['logs', '--limit', '0'],
    deployed: true,
    exit: 2,
    says: /--limit: Expected an integer greater than or equal to 1 but received: 0/,
  },
  {
    name: 'logs --since yesterday',
    args: ['logs', '--since', 'yesterday'],
    deployed: true,
    exit: 2,
    says: /--since must be a duration/,
  },
  { name: 'logs --source unknown', args: ['logs', '--source', 'disk'], deployed: true, exit: 2, says: /--source/ },
  {
    name: 'redrive in orchestration mode',
    args: ['redrive'],
    deployed: true,
    exit: 2,
    says: /redrive is an events-mode feature and stage "test" runs orchestration: re-send the order/,
  },
  { name: 'redrive, not deployed', args: ['redrive'], exit: 2, says: /stage "test" is not deployed/ },
  {
    name: 'replay without --order or --since',
    args: ['replay'],
    exit: 2,
    says: /exactly one of --order ID or --since/,
  },
  { name: 'replay --since yesterday', args: ['replay', '--since', 'yesterday'], exit: 2, says: /--since must be/ },
  {
    name: 'trace --sla 2 seconds',
    args: ['trace', '--sla', '2 seconds'],
    deployed: true,
    exit: 2,
    says: /--sla must be a duration/,
  },
  {
    name: 'trace --slowest 0',
    args: ['trace', '--slowest', '0'],
    deployed: true,
    exit: 2,
    says: /--slowest: Expected an integer greater than or equal to 1/,
  },
  {
    name: 'trace without what to trace',
    args: ['trace'],
    deployed: true,
    exit: 2,
    says: /trace needs an order id, --slowest N or --sla DURATION/,
  },
  {
    name: 'trace an unknown order',
    args: ['trace', 'no-such-order'],
    deployed: true,
    exit: 2,
    says: /order no-such-order has no log entries on stage "test"/,
  },
  {
    name: 'trace --since nonsense',
    args: ['trace', '--slowest', '3', '--since', 'soon'],
    deployed: true,
    exit: 2,
    says: /--since must be a duration/,
  },
  {
    name: 'serve --port 70000',
    args: ['serve', '--port', '70000'],
    exit: 2,
    says: /--port: Expected an integer less than or equal to 65535/,
  },
  { name: 'serve --grace forever', args: ['serve', '--grace', 'forever'], exit: 2, says: /--grace must be a duration/ },
  {
    name: 'destroy without --yes off a terminal',
    args: ['destroy'],
    deployed: true,
    exit: 2,
    says: /destroy needs --yes when not run on a terminal/,
  },
  { name: 'graph --format bmp', args: ['graph', '--format', 'bmp'], exit: 2, says: /--format/ },
  {
    name: 'test-pattern --pattern not JSON',
    args: ['events', 'test-pattern', '--pattern', '{"a":', '--event', '{}'],
    exit: 2,
    says: /--pattern: not valid JSON/,
  },
  {
    name: 'test-pattern --event not JSON',
    args: ['events', 'test-pattern', '--pattern', '{"source":["a"]}', '--event', 'nope'],
    exit: 2,
    says: /--event: not valid JSON/,
  },
  {
    name: 'test-pattern invalid pattern',
    args: ['events', 'test-pattern', '--pattern', '{"source":"a"}', '--event', '{}'],
    exit: 2,
    says: /--pattern: /,
  },
  {
    name: 'test-pattern without --event',
    args: ['events', 'test-pattern', '--pattern', '{}'],
    exit: 2,
    says: /Missing required flag event/,
  },
  {
    name: 'test-pattern no match is exit 1',
    args: ['events', 'test-pattern', '--pattern', '{"source":["a"]}', '--event', '{"source":"b"}'],
    exit: 1,
    says: /--event does not match --pattern/,
  },
  { name: 'init into a non-empty folder', args: ['init', '.', '--yes'], exit: 2, says: /not empty|--force/ },
  {
    name: 'init --name with capitals',
    args: ['init', 'fresh', '--name', 'Shop', '--yes'],
    exit: 2,
    says: /name|--name/,
  },
  {
    name: 'send-order before deploy',
    args: ['send-order'],
    exit: 2,
    says: /stage "test" is not deployed on the local target/,
  },
  { name: 'logs before deploy', args: ['logs'], exit: 2, says: /stage "test" is not deployed/ },
  { name: 'status before deploy', args: ['status'], exit: 2, says: /stage "test" is not deployed on the local target/ },
  { name: 'trace before deploy', args: ['trace', 'x'], exit: 2, says: /stage "test" is not deployed/ },
  {
    name: 'serve before deploy',
    args: ['serve', '--port', '0'],
    exit: 2,
    says: /stage "test" is not deployed on the local target/,
  },
  {
    name: 'a cyclic event flow in graph is exit 1',
    args: ['graph', '--only', 'events'],
    setup: events((e) => (e.functions['issue-invoices'].publishes = [{ detailType: 'OrderPlaced' }])),
    exit: 1,
    says: /events\.json: the event flow has a cycle/,
  },
  {
    name: 'a cyclic event flow is refused by deploy',
    args: ['deploy'],
    setup: events((e) => (e.functions['issue-invoices'].publishes = [{ detailType: 'OrderPlaced' }])),
    exit: 2,
    says: /cycle/,
  },
];

const orderRows: Row[] = [
  {
    name: 'order file not JSON',
    args: ['send-order', '--file', 'broken.json'],
    deployed: true,
    setup: write('broken.json', '{"orderId": '),
    exit: 2,
    says: /broken\.json: not valid JSON/,
  },
  {
    name: 'order file missing',
    args: ['send-order', '--file', 'missing.json'],
    deployed: true,
    exit: 2,
    says: /--file .*missing\.json: cannot read the file/,
  },
  {
    name: 'order file is an array',
    args: ['send-order', '--file', 'array.json'],
    deployed: true,
    setup: write('array.json', '[]'),
    exit: 2,
    says: /array\.json: an order must be a JSON object/,
  },
  {
    name: 'order file without items',
    args: ['send-order', '--file', 'o1.json'],
    deployed: true,
    setup: order('o1.json', (o) => (o.items = [])),
    exit: 2,
    says: /o1\.json: "items" must contain at least one item/,
  },
  {
    name: 'order file bad currency',
    args: ['send-order', '--file', 'o2.json'],
    deployed: true,
    setup: order('o2.json', (o) => (o.currency = 'euro')),
    exit: 2,
    says: /o2\.json: "currency"/,
  },
  {
    name: 'order file negative quantity',
    args: ['send-order', '--file', 'o3.json'],
    deployed: true,
    setup: order('o3.json', (o) => (o.items[0].quantity = -1)),
    exit: 2,
    says: /o3\.json: "items\[0\]\.quantity"/,
  },
  {
    name: 'order file unknown field',
    args: ['send-order', '--file', 'o4.json'],
    deployed: true,
    setup: order('o4.json', (o) => (o.coupon = 'FREE')),
    exit: 2,
    says: /o4\.json: /,
  },
  {
    name: 'order file bad country',
    args: ['send-order', '--file', 'o5.json'],
    deployed: true,
    setup: order('o5.json', (o) => (o.shipTo.country = 'Germany')),
    exit: 2,
    says: /o5\.json: "shipTo\.country"/,
  },
  {
    name: 'order file, flag overriding it wrongly',
    args: ['send-order', '--file', 'o6.json', '--quantity', '0'],
    deployed: true,
    setup: order('o6.json', () => {}),
    exit: 2,
    says: /--quantity must be at least 1 \(got 0\)/,
  },
  {
    name: 'order file with a BOM and a bad field',
    args: ['send-order', '--file', 'o7.json'],
    deployed: true,
    setup: (d) => writeFileSync(join(d, 'o7.json'), `\uFEFF${JSON.stringify({ orderId: 'a b' })}`),
    exit: 2,
    says: /o7\.json: "/,
  },
];

/** A copy of the deployed stage `test` as `stage`, then one file of it replaced or removed. */
const damaged =
  (stage: string, file: string, text: string | null): Mutation =>
  (dir) => {
    const stageDir = join(dir, '.fulfill/local', stage);
    cpSync(join(dir, '.fulfill/local/test'), stageDir, { recursive: true });
    if (text === null) {
      rmSync(join(stageDir, file), { recursive: true, force: true });
      return;
    }
    // A database's write-ahead log would otherwise still hold the pages the damage replaces.
    for (const suffix of ['-wal', '-shm']) rmSync(join(stageDir, `state.db${suffix}`), { force: true });
    mkdirSync(join(stageDir, file, '..'), { recursive: true });
    writeFileSync(join(stageDir, file), text);
  };
/** A copy of the deployed stage `test` as `stage` with one ended execution whose stored row `sql` then damages. */
const damagedRow =
  (stage: string, orderId: string, sql: string): Mutation =>
  (dir) => {
    damaged(stage, 'unused', null)(dir);
    const db = openStateDb(dir, stage);
    try {
      db.exec(
        `INSERT INTO executions (id, order_id, execution, mode, status, owner_pid, heartbeat, started_at, stopped_at)
         VALUES (900, '${orderId}', 1, 'orchestration', 'SUCCEEDED', 1, 1, 1, 2)`,
      );
      db.exec(sql);
    } finally {
      db.close();
    }
  };
const stateRows: Row[] = [
  {
    name: 'a log row whose details are not JSON',
    args: ['logs', '--stage', 'damaged4', '--order', 'bad-log'],
    deployed: true,
    setup: damagedRow(
      'damaged4',
      'bad-log',
      `INSERT INTO log (order_id, execution_id, ts, source, type, event_id, name, details)
       VALUES ('bad-log', 900, 1, 'execution', 'ExecutionStarted', 1, NULL, '{not json')`,
    ),
    exit: 5,
    says: /damaged4\/state\.db: a log row of stage "damaged4" is damaged/,
  },
  {
    name: 'a packed log row that does not inflate',
    args: ['logs', '--stage', 'damaged5', '--order', 'bad-pack'],
    deployed: true,
    setup: damagedRow(
      'damaged5',
      'bad-pack',
      `INSERT INTO log_packed (execution_id, first_seq, last_seq, first_ts, last_ts, entries)
       VALUES (900, 1, 2, 1, 2, X'00ff00ff')`,
    ),
    exit: 5,
    says: /damaged5\/state\.db: a packed log row of stage "damaged5" is damaged/,
  },
  {
    name: 'an outcome row that is not an outcome',
    args: ['trace', 'bad-outcome', '--stage', 'damaged6'],
    deployed: true,
    setup: damagedRow(
      'damaged6',
      'bad-outcome',
      `INSERT INTO log (order_id, execution_id, ts, source, type, event_id, name, details)
       VALUES ('bad-outcome', 900, 1, 'execution', 'ExecutionStarted', 1, NULL, NULL);
       INSERT INTO outcomes (execution_id, order_id, status, started_at, duration_ms, outcome)
       VALUES (900, 'bad-outcome', 'SUCCEEDED', 1, 1, 'garbage')`,
    ),
    exit: 5,
    says: /damaged6\/state\.db: an outcome row of stage "damaged6" is damaged/,
  },
  {
    name: 'state.db that is not a database',
    args: ['status', '--stage', 'damaged1'],
    deployed: true,
    setup: damaged('damaged1', 'state.db', 'x'.repeat(8192)),
    exit: 5,
    says: /damaged1\/state\.db: the local state database is damaged/,
  },
  {
    name: 'a handler bundle removed',
    args: ['send-order', '--stage', 'damaged2'],
    deployed: true,
    setup: damaged('damaged2', 'build', null),
    exit: 5,
    says: /build\/.*\.cjs: the handler bundle is missing/,
  },
  {
    name: 'state from an older fulfill (JSON files)',
    args: ['logs', '--stage', 'damaged3'],
    deployed: true,
    setup: (dir) => {
      mkdirSync(join(dir, '.fulfill/local/damaged3'), { recursive: true });
      writeFileSync(join(dir, '.fulfill/local/damaged3/deployment.json'), '{}');
    },
    exit: 5,
    says: /deployment\.json: stage "damaged3" was recorded by an older fulfill/,
  },
];

const rows = [...configRows, ...aslRows, ...eventRows, ...handlerRows, ...flagRows, ...orderRows, ...stateRows];

function expectOneErrorLine(run: InProcessResult, row: Row) {
  // Progress (listr2 on stderr: ❯ ✔ ✖ lines) and warnings are not errors.
  const lines = run.stderr
    .split('\n')
    .filter((l) => l.trim() !== '' && !/^Warning: /.test(l) && !/^\s*[❯✔✖◼↓⚠ℹ›]/.test(l));
  expect(lines[0]).toMatch(/^Error: /);
  expect(lines[0]).toMatch(row.says);
  expect(lines.filter((l) => l.startsWith('Error:'))).toHaveLength(1);
  expect(lines.slice(1).every((l) => l.trim().startsWith('→'))).toBe(true);
  expect(run.stderr).not.toMatch(/^\s+at /m);
}

describe('bad input: documented exit code, one error line naming the culprit, one --json envelope', () => {
  const tmp = tempDir('fulfill-bad-input-');
  let n = 0;
  let deployed: string;
  const fresh = (setup?: Mutation) => {
    const dir = join(tmp.dir, `p${n++}`);
    quickTemplateProject(dir);
    setup?.(dir);
    return dir;
  };

  beforeAll(async () => {
    deployed = fresh();
    const run = await cli(['deploy'], { dir: deployed });
    expect(run.exit).toBe(0);
  }, 120_000);
  afterAll(() => tmp.cleanup());

  it('has at least 100 rows', () => {
    expect(rows.length + httpRows.length).toBeGreaterThanOrEqual(100);
  });

  it.each(rows.map((row) => [row.name, row] as const))('%s', async (_name, row) => {
    const dir = row.deployed ? deployed : fresh(row.setup);
    if (row.deployed) row.setup?.(dir);
    // init writes into the folder it is given: run it inside the project folder.
    // Paths in rows are relative to the project (the in-process CLI's working folder is the repository).
    const args = row.args.map((a, i) =>
      (row.args[0] === 'init' && i === 1) || row.args[i - 1] === '--file' ? join(dir, a) : a,
    );
    const text = await cli(args, { dir, ...(row.env ? { env: row.env } : {}) });
    expect({ exit: text.exit, stderr: text.stderr }).toMatchObject({ exit: row.exit });
    expectOneErrorLine(text, row);
    const asJson = await cli([...args, '--json'], { dir, ...(row.env ? { env: row.env } : {}) });
    expect(asJson.exit).toBe(row.exit);
    const envelope = JSON.parse(asJson.stdout) as { status: number; error: { message: string } };
    expect(envelope.status).toBe(row.exit);
    expect(envelope.error.message).toMatch(row.says);
  });

  // HTTP requests to `serve`: API Gateway's status codes and bodies; the server never answers 500 to bad input.
  interface HttpRow {
    name: string;
    method: string;
    path: string;
    headers?: Record<string, string>;
    body?: string;
    status: number;
    says: RegExp;
  }
  const valid = JSON.parse(readFileSync(join(TEMPLATE, 'orders/credit-card-1p.json'), 'utf8'));
  const body = (change: (o: any) => void) => {
    const o = structuredClone(valid);
    change(o);
    return JSON.stringify(o);
  };
  const httpRows: HttpRow[] = [
    { name: 'body not JSON', method: 'POST', path: '/orders', body: '{', status: 400, says: /Invalid request body/ },
    {
      name: 'text/plain body',
      method: 'POST',
      path: '/orders',
      headers: { 'content-type': 'text/plain' },
      body: body(() => {}),
      status: 415,
      says: /Unsupported Media Type/,
    },
    {
      name: 'form body',
      method: 'POST',
      path: '/orders',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'a=1',
      status: 415,
      says: /Unsupported Media Type/,
    },
    { name: 'empty body', method: 'POST', path: '/orders', body: '', status: 400, says: /Invalid request body/ },
    {
      name: 'no items',
      method: 'POST',
      path: '/orders',
      body: body((o) => (o.items = [])),
      status: 400,
      says: /items/,
    },
    {
      name: 'bad currency',
      method: 'POST',
      path: '/orders',
      body: body((o) => (o.currency = 'euro')),
      status: 400,
      says: /currency/,
    },
    {
      name: 'order id with a space',
      method: 'POST',
      path: '/orders',
      body: body((o) => (o.orderId = 'a b')),
      status: 400,
      says: /orderId/,
    },
    { name: 'array body', method: 'POST', path: '/orders', body: '[]', status: 400, says: /Invalid request body/ },
    {
      name: 'oversized body',
      method: 'POST',
      path: '/orders',
      body: 'x'.repeat(300 * 1024),
      status: 413,
      says: /Request Too Long/,
    },
    { name: 'GET /orders', method: 'GET', path: '/orders', status: 403, says: /Missing Authentication Token/ },
    { name: 'DELETE an order', method: 'DELETE', path: '/orders/abc', status: 405, says: /Method Not Allowed/ },
    { name: 'an unknown order', method: 'GET', path: '/orders/no-such-order', status: 404, says: /not found/ },
    { name: 'an unknown path', method: 'POST', path: '/nowhere', status: 404, says: /Not Found/ },
    {
      name: 'a sibling-folder escape',
      method: 'GET',
      path: '/..%2fstorefront-private%2fkey.txt',
      status: 404,
      says: /Not Found/,
    },
    { name: 'a parent escape', method: 'GET', path: '/..%2f..%2fetc%2fpasswd', status: 404, says: /Not Found/ },
    {
      name: 'malformed percent-encoding',
      method: 'GET',
      path: '/%E0%A4%A',
      status: 400,
      says: /malformed percent-encoding/,
    },
    { name: 'a NUL byte in the path', method: 'GET', path: '/index.html%00.js', status: 404, says: /Not Found/ },
  ];

  // One backend and server for every HTTP row: none of these requests changes the stage.
  describe('one served stage', () => {
    let backend: LocalBackend;
    let server: FulfillServer;
    let url: string;
    beforeAll(async () => {
      mkdirSync(join(deployed, 'storefront-private'), { recursive: true });
      writeFileSync(join(deployed, 'storefront-private', 'key.txt'), 'secret');
      backend = await LocalBackend.start(deployed, 'test');
      server = new FulfillServer(backend, { host: '127.0.0.1', port: 0, staticDir: join(deployed, 'storefront') });
      url = await server.listen();
    });
    afterAll(async () => {
      await server?.close(1000);
      await backend?.close();
    });

    it.each(httpRows.map((row) => [row.name, row] as const))('serve: %s', async (_name, row) => {
      const response = await fetch(`${url}${row.path}`, {
        method: row.method,
        headers: { 'content-type': 'application/json', ...row.headers },
        ...(row.body !== undefined ? { body: row.body } : {}),
      });
      const text = await response.text();
      expect({ status: response.status, text }).toMatchObject({ status: row.status });
      expect(text).toMatch(row.says);
      expect(text).not.toContain('secret');
    });
  });
});
