// Medium and e2e tests hash passwords with Argon2id (~0.3 s each) and start whole servers on a
// machine that may be busy; jest 30 ignores `testTimeout` inside a project, hence this file.
jest.setTimeout(60_000);
