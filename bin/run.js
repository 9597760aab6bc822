#!/usr/bin/env node
// fulfill pins AWS SDK releases that support Node 20; their notice about future releases needing Node 22
// would otherwise break the one-line error contract on every AWS call (the README recommends Node 22).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const { main } = await import('../dist/lib/cli/main.js');
await main(process.argv.slice(2), import.meta.url);
