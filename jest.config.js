/** @swc/jest, native ESM: run with NODE_OPTIONS="--experimental-vm-modules --disable-warning=ExperimentalWarning" (npm test does). */
import { existsSync } from 'node:fs';

const root = import.meta.dirname.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: {
    // NodeNext-style './x.js' imports -> './x' (resolved to .ts)
    '^(\\.{1,2}/.*)\\.js$': '$1',
    // The engine as the CLI runs it, vendored by `npm run build` (scripts/vendor.js): the package itself loads the
    // AWS Lambda client it imports for Tasks without a local handler (hundreds of files through jest's module
    // registry: 0.34 s of CPU per test file that runs orchestration, 0.02 s for the bundle).
    '^aws-local-stepfunctions$': '<rootDir>/dist/vendor/jest/aws-local-stepfunctions.js',
    // Likewise (CPU per test file to import): zod 0.13 -> 0.06 s, velocityjs 0.04 -> 0.01 s. Their ES module builds:
    // the CLI's are CommonJS bundles loaded through a V8 code cache (scripts/vendor.js), slower through jest's loader.
    '^zod$': '<rootDir>/dist/vendor/jest/zod.js',
    '^velocityjs$': '<rootDir>/dist/vendor/jest/velocityjs.js',
    // oclif (runCommand) imports compiled commands from ./dist; serve the TS sources instead
    [`^(?:file://)?${root}/dist/(.*)\\.js$`]: '<rootDir>/src/$1.ts',
    // The built asl-validator, its schemas compiled ahead of time (scripts/asl-precompiled.js), as the CLI runs it:
    // a first validation in a test file costs 0.4-0.8 s less. Before a build (no dist/), the installed package.
    ...(existsSync(new URL('dist/vendor/asl-validator.cjs', import.meta.url))
      ? { '^asl-validator$': '<rootDir>/dist/vendor/asl-validator.cjs' }
      : {}),
  },
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'es6' } },
    ],
  },
  setupFiles: ['<rootDir>/test/jest.setup.ts'],
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  reporters: ['default', '<rootDir>/test/summary-reporter.js'],
  // Two cores in CI, but many files spend part of their time waiting (subprocesses, Chromium, handler timeouts,
  // retry intervals): a third worker uses that time. Full suite on this 2-core machine, one run each: 2 workers
  // 162 s, 4 workers 148 s.
  maxWorkers: 3,
  testTimeout: 60000,
};
