// asl-validator's JSON Schema check builds a new Ajv and compiles its 15 schemas on every call: 0.4-0.8 s of CPU,
// paid by every process that validates a state machine (`deploy`, `status` on drift, `iam check`, `compare`, each
// test file). Ajv can compile the schemas ahead of time into plain functions ("standalone code"); this esbuild plugin
// does that while scripts/vendor.js bundles asl-validator, and gives asl-validator's json-schema-errors.js, in place of
// `ajv`, a small class that runs those functions. Everything else is asl-validator's own code: which schemas and
// formats it registers, how it picks and words the errors, its other checks. The formats stay the ones it registers
// at run time (the compiled code calls them by name). test/unit/asl-precompiled.test.ts checks that the bundle and
// the installed package give the same verdicts and errors.
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const STATE_MACHINE_SCHEMA = 'http://asl-validator.cloud/state-machine.json#';
const NAMESPACE = 'fulfill-asl-precompiled';

/** The standalone validation code for asl-validator's schemas, as its json-schema-errors.js configures Ajv. */
function standaloneSource(require) {
  const checks = dirname(require.resolve('asl-validator/dist/src/checks/json-schema-errors.js'));
  const fromChecks = createRequire(join(checks, 'json-schema-errors.js'));
  const { default: Ajv, _ } = fromChecks('ajv');
  const standaloneCode = fromChecks('ajv/dist/standalone').default;
  const schemasDir = join(checks, '..', 'schemas');
  const schemas = readdirSync(schemasDir)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => fromChecks(join(schemasDir, file)));
  // The same options as asl-validator's, plus code generation; formats are looked up by name at run time.
  const ajv = new Ajv({ schemas, allowUnionTypes: true, code: { source: true, formats: _`require("formats")` } });
  fromChecks('ajv-formats').default(ajv);
  fromChecks('asl-path-validator').registerAll(ajv);
  for (const name of ['jsonata_string', 'maybe_jsonata_string', 'asl_arn']) ajv.addFormat(name, () => true);
  return standaloneCode(ajv, { stateMachine: STATE_MACHINE_SCHEMA });
}

// The `ajv` that json-schema-errors.js gets: it records the formats registered on it (by ajv-formats,
// asl-path-validator and asl-validator itself) and validates with the compiled schema, calling those formats.
const AJV_SHIM = `
const { stateMachine } = require('standalone');
const formats = require('formats');
class PrecompiledAjv {
  constructor(opts) {
    this.opts = { ...opts, code: {} };
    this.formats = {};
    this.errors = null;
  }
  addFormat(name, format) {
    this.formats[name] = format;
    return this;
  }
  addKeyword() {
    return this;
  }
  validate(schema, data) {
    if (schema !== ${JSON.stringify(STATE_MACHINE_SCHEMA)}) throw new Error('precompiled asl-validator: unknown schema ' + schema);
    formats.current = this.formats;
    try {
      const valid = stateMachine(data);
      this.errors = valid ? null : stateMachine.errors;
      return valid;
    } finally {
      formats.current = undefined;
    }
  }
}
module.exports = PrecompiledAjv;
module.exports.default = PrecompiledAjv;
`;

// What the compiled code calls for \`format: name\`: the format the running validation registered under that name,
// whether Ajv would call it as a function, a { validate } object or a RegExp.
const FORMATS = `
const registry = { current: undefined };
function check(name, value) {
  const format = registry.current && registry.current[name];
  if (format === undefined) throw new Error('precompiled asl-validator: format ' + name + ' is not registered');
  if (typeof format === 'function') return format(value);
  if (format instanceof RegExp) return format.test(value);
  return typeof format.validate === 'function' ? format.validate(value) : format.validate.test(value);
}
module.exports = new Proxy(registry, {
  get(target, name) {
    if (name === 'current') return target.current;
    const call = (value) => check(name, value);
    call.validate = call;
    call.test = call;
    return call;
  },
  set(target, name, value) {
    target[name] = value;
    return true;
  },
});
`;

/** esbuild plugin: asl-validator's json-schema-errors.js gets the precompiled `ajv` above. */
export function aslPrecompiled(require) {
  return {
    name: 'asl-precompiled',
    setup(build) {
      build.onResolve({ filter: /^ajv$/ }, (args) =>
        /asl-validator[\\/]dist[\\/]src[\\/]checks[\\/]json-schema-errors\.js$/.test(args.importer)
          ? { path: 'ajv', namespace: NAMESPACE }
          : undefined,
      );
      build.onResolve({ filter: /^(standalone|formats)$/, namespace: NAMESPACE }, (args) => ({
        path: args.path,
        namespace: NAMESPACE,
      }));
      build.onLoad({ filter: /.*/, namespace: NAMESPACE }, (args) => {
        const contents = { ajv: AJV_SHIM, formats: FORMATS, standalone: standaloneSource(require) }[args.path];
        // Anything else the compiled code requires (Ajv's run-time helpers) resolves as from asl-validator.
        return { contents, loader: 'js', resolveDir: dirname(require.resolve('asl-validator')) };
      });
    },
  };
}
