// The convergence tables of the AWS deployer: a first deploy, a mode switch and a destroy that each fail once at
// every mutating call, then converge when re-run. Each table is a module of ./recovery/ that registers its describe
// blocks when imported. One test file rather than three: jest loads every module again per test file, and the SDK
// clients, the deployer and asl-validator's first validation cost each file ~2.3 s of CPU.
// Imported one after the other: with static imports, a module's top-level recording would start while the previous
// one's is still running, and two fakes cannot own the SDK client classes at once.
await import('./recovery/first-deploy.js');
await import('./recovery/mode-switch.js');
await import('./recovery/destroy.js');
