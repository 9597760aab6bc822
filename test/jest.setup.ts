// oclif 4's this.log() goes through console.log; jest replaces console with its own
// buffered console, so @oclif/test's captureOutput (which patches process.stdout.write)
// misses it. Route console back to the real streams.
import { Console } from 'node:console';

globalThis.console = new Console({ stdout: process.stdout, stderr: process.stderr });

// The AWS SDK warns once per process (so once per test file and CLI subprocess) that releases after January
// 2027 need Node 22; the project pins releases that support Node 20, so the notice is noise in test output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

// As the CLI's main() does (src/lib/cli/main.ts): no oclif development mode, which under jest (NODE_ENV=test) would
// load typescript, read tsconfig.json and register tsx once per test file for the in-process commands. oclif then
// loads the compiled commands, which jest.config.js maps to their sources.
const oclifSettings = globalThis as { oclif?: Record<string, unknown> };
oclifSettings.oclif = { ...oclifSettings.oclif, enableAutoTranspile: false };

// @oclif/core's command module adds an EPIPE-swallowing 'error' listener to process.stdout when it is first loaded.
// A CLI process loads it once; a jest worker loads it again for every test file that runs commands in-process (each
// file has its own module registry, process.stdout is the worker's), so after ten such files Node warned of a
// listener leak ("MaxListenersExceededWarning: … error listeners added to [Socket]"). One per file, not a leak.
process.stdout.setMaxListeners(200);
