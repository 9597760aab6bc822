// oclif 4's this.log() goes through console.log; jest replaces console with its own
// buffered console, so @oclif/test's captureOutput (which patches process.stdout.write)
// misses it. Route console back to the real streams.
import { Console } from 'node:console';

globalThis.console = new Console({ stdout: process.stdout, stderr: process.stderr });
