/** @swc/jest, native ESM: run with NODE_OPTIONS="--experimental-vm-modules --disable-warning=ExperimentalWarning" (npm test does). */
const root = import.meta.dirname.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: {
    // NodeNext-style './x.js' imports -> './x' (resolved to .ts)
    '^(\\.{1,2}/.*)\\.js$': '$1',
    // oclif (runCommand) imports compiled commands from ./dist; serve the TS sources instead
    [`^(?:file://)?${root}/dist/(.*)\\.js$`]: '<rootDir>/src/$1.ts',
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
  // e2e tests spawn the CLI; two cores in CI
  maxWorkers: 2,
  testTimeout: 60000,
};
