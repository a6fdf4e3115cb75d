// Nest 12 packages are ESM-only and jest on Node 20 cannot require() ESM, so everything,
// including those packages, is compiled to CommonJS by @swc/jest.
const esmOnly = [
  '@nestjs', 'file-type', 'strtok3', 'token-types', 'uint8array-extras', '@tokenizer', '@borewit', 'cookie',
];
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      keepClassNames: true,
      target: 'es2022',
    },
    module: { type: 'commonjs' },
    sourceMaps: 'inline',
  },
];
const globalSetup = '<rootDir>/test/helpers/global-setup.ts';
const slowTestTimeout = '<rootDir>/test/helpers/slow-test-timeout.ts';
const unitTestTimeout = '<rootDir>/test/helpers/unit-test-timeout.ts';
const common = {
  rootDir: __dirname,
  transform: { '^.+\\.(t|j|mj)s$': swc },
  transformIgnorePatterns: [`node_modules/(?!(?:.*/node_modules/)?(?:${esmOnly.join('|')}))`],
  moduleNameMapper: {
    '^@coffer/(contract|crypto|state-files|storage)$': '<rootDir>/libs/$1/src/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  testEnvironment: 'node',
  modulePathIgnorePatterns: ['<rootDir>/.*/dist/'],
};
module.exports = {
  // Most test time is spent waiting (spawned CLIs, servers, PostgreSQL, Argon2id on libuv's
  // pool), so more workers than cores pays off; measured on 2 cores (README, "Tests").
  maxWorkers: Number(process.env.COFFER_TEST_WORKERS) || 3,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/{apps,libs}/*/src/**/*.spec.ts', '<rootDir>/libs/*/test/**/*.spec.ts', '<rootDir>/apps/web/test/**/*.spec.ts'], setupFilesAfterEnv: [unitTestTimeout] },
    { ...common, displayName: 'medium', testMatch: ['<rootDir>/{apps,libs}/*/test/**/*.medium-spec.ts', '<rootDir>/test/**/*.medium-spec.ts'], globalSetup, setupFilesAfterEnv: [slowTestTimeout] },
    { ...common, displayName: 'e2e', testMatch: ['<rootDir>/apps/*/test/**/*.e2e-spec.ts'], globalSetup, setupFilesAfterEnv: [slowTestTimeout] },
  ],
};
