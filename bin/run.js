#!/usr/bin/env node
// Before anything is loaded: on an older Node the dependencies fail with obscure errors (package.json "engines").
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 19)) {
  console.error(
    `Error: fulfill needs Node.js 20.19 or newer (22 recommended); this is Node.js ${process.versions.node}.`,
  );
  console.error('→ Install a current Node.js (https://nodejs.org), e.g. with nvm: nvm install 22');
  process.exit(2);
}
// fulfill pins AWS SDK releases that support Node 20; their notice about future releases needing Node 22
// would otherwise break the one-line error contract on every AWS call (the README recommends Node 22).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const argv = process.argv.slice(2);
// `--version` first: answered without loading oclif (which is most of its start-up time), with oclif's output.
const { answerVersion } = argv[0] === '--version' ? await import('../dist/lib/cli/version.js') : {};
if (!answerVersion?.(argv)) {
  const { main } = await import('../dist/lib/cli/main.js');
  await main(argv, import.meta.url);
}
