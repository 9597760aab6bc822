// The AWS target around a deploy, against the in-memory fake: destroy, the ownership rule, the policy check, redrive
// and replay, the invoke URL, the iam check warning, the API document and the failure wording. Each topic is a module
// of ./lifecycle/ that registers its describe blocks when imported. One test file rather than nine: jest loads every
// module again per test file, and the SDK clients, the deployer and asl-validator's first validation cost each file
// ~2.3 s of CPU, more than most of these tests take. Tests of the real SDK clients (policies-clients, runtime) and
// those that use the sinon mocks (deploy) keep files of their own: the fake replaces the clients' `send`.
// Imported one after the other: with static imports, a module's top-level set-up would start while the previous
// one's is still running, and two fakes cannot own the SDK client classes at once.
await import('./lifecycle/destroy.js');
await import('./lifecycle/ownership.js');
await import('./lifecycle/ownership-rule.js');
await import('./lifecycle/policy-check.js');
await import('./lifecycle/redrive.js');
await import('./lifecycle/invoke-url.js');
await import('./lifecycle/iam-check-warning.js');
await import('./lifecycle/api-document.js');
await import('./lifecycle/failures.js');
