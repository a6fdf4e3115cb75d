// Unit tests are fast alone, but a few run real work (worker threads, tens of MiB through AES-GCM,
// Argon2id in WebAssembly) and share 2 cores with the e2e servers under `npm test`: jest's default
// 5 s failed them there under load. A hang still fails; jest 30 ignores `testTimeout` in a project.
jest.setTimeout(30_000);
