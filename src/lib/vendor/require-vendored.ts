import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadBundle } from './load-bundle.js';

const required = new Map<string, unknown>();

/**
 * `require(name)` for a package that scripts/vendor.js bundles as dist/vendor/`file` (CommonJS, required on first
 * use): in the built CLI, that bundle through its code cache (load-bundle.ts), once per process as `require`
 * does; run from the sources (the tests), which have no dist/vendor beside them, the package as jest maps it.
 */
export function requireVendored(name: string, file: string): unknown {
  if (!required.has(name)) {
    const bundle = new URL(`../../vendor/${file}`, import.meta.url);
    required.set(name, existsSync(bundle) ? loadBundle(bundle) : createRequire(import.meta.url)(name));
  }
  return required.get(name);
}
