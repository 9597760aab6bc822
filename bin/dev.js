#!/usr/bin/env -S node --import tsx --disable-warning=ExperimentalWarning
// Runs the TypeScript sources; oclif ignores them while oclif.manifest.json exists, so delete it first.
import { execute } from '@oclif/core';

await execute({ development: true, dir: import.meta.url });
