import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { UserError, formatPath } from '../errors.js';
import { parseUserJson } from '../json.js';

export const CONFIG_FILE = 'fulfill.config.json';
export const MODES = ['orchestration', 'events'] as const;
export const TARGETS = ['local', 'aws'] as const;
export type Mode = (typeof MODES)[number];
export type TargetName = (typeof TARGETS)[number];

// Names end up in AWS resource names `fulfill-<app>-<stage>-<part>` (64 chars for Lambda/IAM): keep them short and safe.
const appName = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,23}$/, 'must be 1-24 lowercase letters, digits or dashes, starting with a letter');
const STAGE_NAME = /^[a-z0-9][a-z0-9-]{0,15}$/;
const STAGE_RULE = 'must be 1-16 lowercase letters, digits or dashes';
const stageName = z.string().regex(STAGE_NAME, STAGE_RULE);

/**
 * The one check of a stage name, wherever it comes from (config, --stage, FULFILL_STAGE): stage names become
 * folder names under .fulfill/ and parts of AWS resource names, so `..` or `/` must never get that far.
 */
export function checkStageName(stage: string, where = '--stage'): string {
  if (!STAGE_NAME.test(stage)) throw new UserError(`${where} ${STAGE_RULE} (got ${JSON.stringify(stage)})`);
  return stage;
}

export const configSchema = z.strictObject({
  $schema: z.string().optional(),
  app: appName,
  stage: stageName.default('dev'),
  mode: z.enum(MODES).default('orchestration'),
  target: z.enum(TARGETS).default('local'),
  region: z
    .string()
    .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region such as "eu-central-1"')
    .default('eu-central-1'),
  handlersDir: z.string().min(1).default('handlers'),
  workflow: z.string().min(1).default('workflow.asl.json'),
  events: z.string().min(1).default('events.json'),
  functions: z
    .strictObject({
      timeoutSeconds: z.int().min(1).max(900).default(10),
      memoryMb: z.int().min(128).max(10240).default(256),
      /** Local target: execution environments per function (concurrent invocations); the rest wait. */
      concurrency: z.int().min(1).max(64).optional(),
      /**
       * AWS permissions the handlers' own SDK calls need, by handler, added to the functions' role on AWS (all
       * functions share that role). `fulfill iam check` names what is missing.
       */
      permissions: z
        .record(
          z.string(),
          z.array(
            z.strictObject({
              actions: z
                .array(
                  z.string().regex(/^[a-z0-9-]+:[A-Za-z0-9*?]+$/, 'must be IAM actions such as "dynamodb:GetItem"'),
                )
                .min(1),
              resources: z
                .array(
                  z
                    .string()
                    .regex(/^(\*|arn:\S+)$/, 'must be ARNs (with "${account}" and "${region}" filled in) or "*"'),
                )
                .min(1),
            }),
          ),
        )
        .optional(),
    })
    .default({ timeoutSeconds: 10, memoryMb: 256 }),
  api: z
    .strictObject({
      corsOrigins: z
        .array(z.string().regex(/^(\*|https?:\/\/[^/\s]+)$/, 'must be an origin like "http://localhost:4173" or "*"'))
        .default(['http://localhost:4173']),
      throttle: z
        .strictObject({ rateLimit: z.number().positive().default(50), burstLimit: z.int().positive().default(100) })
        .default({ rateLimit: 50, burstLimit: 100 }),
    })
    .default({ corsOrigins: ['http://localhost:4173'], throttle: { rateLimit: 50, burstLimit: 100 } }),
});

export type FulfillConfig = z.infer<typeof configSchema>;

/**
 * Reads and validates `fulfill.config.json`. Every failure is one line that names the file and field.
 */
export function loadConfig(projectDir: string): FulfillConfig {
  const file = join(projectDir, CONFIG_FILE);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new UserError(`${CONFIG_FILE} not found in ${projectDir}`, [
      'Run `fulfill init` to create a project, or pass --dir PATH.',
    ]);
  }
  return parseConfig(text, CONFIG_FILE);
}

export function parseConfig(text: string, fileName = CONFIG_FILE): FulfillConfig {
  return validateWith(configSchema, parseUserJson(text, fileName), fileName);
}

/** Validates `raw` with a zod schema and turns the first issue into a one-line `file: "field" message`. */
export function validateWith<S extends z.ZodType>(schema: S, raw: unknown, fileName: string): z.infer<S> {
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = formatPath(issue.path);
  const got = issue.path.length > 0 ? describeValue(valueAt(raw, issue.path)) : '';
  throw new UserError(`${fileName}: "${field}" ${issue.message}${got ? ` (got ${got})` : ''}`);
}

function valueAt(raw: unknown, path: ReadonlyArray<PropertyKey>): unknown {
  let cur = raw;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[key];
  }
  return cur;
}

function describeValue(value: unknown): string {
  if (value === undefined) return '';
  const text = JSON.stringify(value);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}
