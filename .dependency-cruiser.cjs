/**
 * The module graph of docs/ARCHITECTURE.md, checked: `npm run lint:deps`
 * (`depcruise --config .dependency-cruiser.cjs apps libs`), run by CI. Change the graph here and
 * in ARCHITECTURE.md together; every edge not listed below is an error.
 */

/** Server modules (apps/api/src/modules/<name>) and the modules each may import. */
const SERVER_MODULES = {
  'account-deletion': ['auth', 'tokens', 'quota', 'storage', 'rate-limit'],
  'account-keys': ['tokens', 'rate-limit'],
  admin: ['quota', 'storage'],
  downloads: ['files', 'storage', 'rate-limit'],
  files: ['quota', 'tokens', 'storage', 'rate-limit', 'metrics'],
  health: ['storage'],
  metrics: ['quota'],
  auth: ['otp', 'mail', 'tokens', 'rate-limit'],
  quota: ['tokens', 'rate-limit'],
  tokens: ['rate-limit'],
  otp: [],
  mail: [],
  storage: [],
  'rate-limit': [],
  web: [],
  'web-session': ['auth', 'tokens', 'rate-limit'],
};

/** Workspaces and the libraries each may import (apps never import each other). */
const WORKSPACES = {
  'apps/api': ['libs/contract', 'libs/storage'],
  'apps/cli': ['libs/contract', 'libs/crypto', 'libs/state-files'],
  'apps/web': ['libs/contract'],
  'libs/contract': [],
  'libs/crypto': ['libs/state-files'],
  'libs/state-files': [],
  'libs/storage': [],
};

const MODULES = '^apps/api/src/modules/';
const any = (names) => `(${names.join('|')})`;

/** One rule per module: it may import itself and the modules it lists, and no other module. */
const moduleRules = Object.entries(SERVER_MODULES).map(([name, allowed]) => ({
  name: `module-${name}`,
  severity: 'error',
  comment: `${name} may import only ${allowed.length ? allowed.join(', ') : 'no other module'} (docs/ARCHITECTURE.md)`,
  from: { path: `${MODULES}${name}/` },
  to: { path: MODULES, pathNot: `${MODULES}${any([name, ...allowed])}/` },
}));

/** `apps/api` as a path, and as the package it is imported by (`@coffer/api`, a symlink in node_modules). */
const reached = (workspaces) => `^(${any(workspaces)}|node_modules/@coffer/${any(workspaces.map((w) => w.split('/')[1]))})/`;

/** One rule per workspace: any other workspace it reaches (through @coffer/* or a relative path) is an error. */
const workspaceRules = Object.entries(WORKSPACES).map(([workspace, allowed]) => ({
  name: `workspace-${workspace.replace('/', '-')}`,
  severity: 'error',
  comment: `${workspace} may import only ${allowed.length ? allowed.join(', ') : 'no other workspace'}`,
  // The browser tests of apps/web round-trip files with the `coffer` CLI (issue 17): they may drive it.
  from: { path: `^${workspace}/`, pathNot: workspace === 'apps/web' ? '^apps/web/test/' : undefined },
  to: { path: reached(Object.keys(WORKSPACES)), pathNot: reached([workspace, ...allowed]) },
}));

module.exports = {
  forbidden: [
    ...moduleRules,
    ...workspaceRules,
    {
      name: 'module-not-in-graph',
      severity: 'error',
      comment: 'A new server module must be added to SERVER_MODULES here and to docs/ARCHITECTURE.md',
      from: { path: MODULES, pathNot: `${MODULES}${any(Object.keys(SERVER_MODULES))}/` },
      to: {},
    },
    {
      name: 'libs-never-import-apps',
      severity: 'error',
      from: { path: '^libs/' },
      to: { path: reached(['apps/api', 'apps/cli', 'apps/web']) },
    },
    {
      name: 'api-infrastructure-below-modules',
      severity: 'error',
      comment: 'common, config and database serve the modules and never import them (or the app)',
      from: { path: '^apps/api/src/(common|config|database)/' },
      to: { path: '^apps/api/src/(modules|app)/' },
    },
    {
      name: 'common-is-the-bottom',
      severity: 'error',
      from: { path: '^apps/api/src/common/' },
      to: { path: '^apps/api/src/(config|database|generated)/' },
    },
    {
      name: 'modules-never-import-the-app',
      severity: 'error',
      from: { path: MODULES },
      to: { path: '^apps/api/src/(app|main)' },
    },
    {
      name: 'prisma-only-in-repositories',
      severity: 'error',
      comment: 'Tables are reached only through their owning repository (docs/ARCHITECTURE.md, "Who owns which table")',
      from: { path: '^apps/api/src/', pathNot: ['\\.repository\\.ts$', '^apps/api/src/database/', '^apps/api/src/generated/'] },
      to: { path: '^apps/api/src/generated/prisma/' },
    },
    {
      name: 'no-unresolvable',
      severity: 'error',
      comment: 'An import the resolver cannot follow would slip past every rule above',
      from: {},
      to: { couldNotResolve: true },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: { pathNot: '^apps/api/src/generated/' },
      to: { circular: true },
    },
  ],
  options: {
    // Workspaces are reached through their node_modules/@coffer/* symlinks (kept as such, so the
    // rules see which package was imported); compiled output and fixtures are not source.
    doNotFollow: { path: ['node_modules', '^apps/api/src/generated/'] },
    // vite.config.mts: build configuration read by Vite itself (vite's package exports only ESM entry points).
    exclude: { path: ['^(apps|libs)/[^/]+/dist/', '\\.d\\.ts$', '/fixtures/', '^apps/web/vite\\.config\\.mts$'] },
    tsPreCompilationDeps: true,
    combinedDependencies: false,
    preserveSymlinks: true,
    enhancedResolveOptions: {
      extensions: ['.ts', '.tsx', '.js', '.cjs', '.mjs', '.json', '.node'],
      mainFields: ['main', 'types'],
    },
  },
};
