#!/usr/bin/env node
/*
 * Checks the API image without a Docker engine (there is none on CI's machines): replays the
 * Dockerfile's steps into a temporary directory, then checks and measures the /app they produce.
 *
 * How it mirrors the Dockerfile: it parses the Dockerfile itself (FROM, WORKDIR, COPY, RUN; the
 * rest is ignored) and replays each stage in its own directory standing for that stage's `/`:
 * - COPY from the build context: every source must exist and survive .dockerignore, and is copied
 *   the way Docker does (a directory's contents, .dockerignore applied; globs in the last segment).
 * - COPY --from=<stage>: from that stage's directory. The stage that compiles (`tsc -b`) is not
 *   replayed: it is the work tree, which .ci/run has just built with `npm run build` (the same
 *   prisma-generate + tsc). `/usr/local/bin/node` of the node base image is this machine's node,
 *   whose major version must be the image's (native bindings are built per major).
 * - RUN: npm / node / sh commands run as written (npm reuses this machine's cache, preferring it
 *   to the network); apt-get and user setup are the base image's business and are skipped.
 * Then it asserts what must not be in the runtime /app (the CLI, libs/crypto, TypeScript, the
 * Prisma and Nest CLIs, compiler leftovers), prints the layout's size against its budget, and
 * starts the server from the layout (embedded database, development mode) to see that it answers
 * /api/healthz, serves the docs UI and the recipient page, and registers an account (argon2,
 * Prisma, migrations, mail).
 *
 * Usage: node scripts/check-image-layout.js [--keep] [--dockerfile <file>]
 *   --keep leaves the temporary directory; --dockerfile checks another file against this context.
 */
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const net = require('node:net');
const { execSync, spawn } = require('node:child_process');

const ROOT = path.resolve(__dirname, '..');
/*
 * Size budget of the image: 250 MB. The runtime stage is debian:bookworm-slim (74.8 MB as Docker
 * lists it; the required packages of Debian 12 add up to 73.3 MB installed here) plus the node
 * binary (98.9 MB for 20.20.2 linux-x64, measured below from this machine's identical binary):
 * about 174 MB, which leaves 76 MB for /app. (node:20.20-bookworm-slim itself would be ~240 MB
 * before the app: npm, yarn, corepack and 49 MB of C headers besides the binary.)
 */
const IMAGE_BUDGET_MB = 250;
const DEBIAN_SLIM_MB = 74.8;
const APP_BUDGET_MB = 75;
const MUST_NOT_EXIST = [
  'apps/cli',
  'libs/crypto',
  'libs/state-files',
  'node_modules/typescript',
  'node_modules/prisma',
  'node_modules/@prisma/engines',
  'node_modules/@prisma/dev',
  'node_modules/@nestjs/cli',
  'node_modules/@coffer/cli',
  'node_modules/@coffer/crypto',
  'node_modules/.bin/prisma',
  'node_modules/.bin/tsc',
  'node_modules/vite',
  'node_modules/@coffer/web',
  'apps/web/src',
  'node_modules/node-addon-api',
  'node_modules/argon2/prebuilds',
  'node_modules/argon2/build/Release/obj.target',
];
const MUST_EXIST = ['node_modules/argon2/build/Release/argon2.node', 'apps/api/dist/main.js', 'prisma/migrations', 'apps/web/dist/s.html', 'apps/web/dist/index.html'];

const mb = (bytes) => bytes / 1e6;
const fail = (message) => {
  throw new Error(message);
};

function parseDockerfile(text) {
  const logical = [];
  let current = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!current && (line === '' || line.startsWith('#'))) continue;
    if (line.endsWith('\\')) {
      current += line.slice(0, -1) + ' ';
      continue;
    }
    logical.push(current + line);
    current = '';
  }
  const stages = [];
  for (const line of logical) {
    const [, op, rest] = /^(\w+)\s+(.*)$/.exec(line) ?? fail(`cannot parse Dockerfile line: ${line}`);
    const instruction = op.toUpperCase();
    if (instruction === 'FROM') {
      const [, image, name] = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(rest) ?? fail(`cannot parse FROM ${rest}`);
      stages.push({ image, name: name ?? `stage-${stages.length}`, steps: [], env: {}, cmd: undefined });
      continue;
    }
    const stage = stages.at(-1) ?? fail(`${instruction} before FROM`);
    if (instruction === 'ENV') for (const [, k, v] of rest.matchAll(/(\w+)=(\S+)/g)) stage.env[k] = v;
    if (instruction === 'CMD') stage.cmd = JSON.parse(rest);
    if (['WORKDIR', 'COPY', 'RUN'].includes(instruction)) stage.steps.push({ op: instruction, rest });
  }
  return stages;
}

function parseCopy(rest) {
  const words = rest.split(/\s+/);
  const flags = {};
  while (words[0]?.startsWith('--')) {
    const [, key, value] = /^--([\w-]+)=(.*)$/.exec(words.shift()) ?? fail(`cannot parse COPY ${rest}`);
    flags[key] = value;
  }
  if (words.length < 2) fail(`COPY needs a source and a destination: ${rest}`);
  return { from: flags.from, sources: words.slice(0, -1), dest: words.at(-1) };
}

/** .dockerignore as Docker reads it: `**` any number of segments, `*` and `?` within one, `!` re-includes; a match also covers everything below. */
function dockerignore() {
  const file = path.join(ROOT, '.dockerignore');
  const rules = (fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const negate = l.startsWith('!');
      const pattern = path.posix.normalize((negate ? l.slice(1) : l).replace(/^\/+/, ''));
      const source = pattern
        .split('/')
        .map((seg) => (seg === '**' ? '(?:.*)' : seg.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]')))
        .join('/')
        .replace(/\(\?:\.\*\)\//g, '(?:.*/)?');
      return { negate, regex: new RegExp(`^${source}(?:/.*)?$`) };
    });
  return (relative) => {
    let excluded = false;
    for (const rule of rules) if (rule.regex.test(relative)) excluded = !rule.negate;
    return excluded;
  };
}

/** Context sources of a COPY: globs only in the last segment, as this Dockerfile uses them. */
function contextSources(sources, isIgnored) {
  const found = [];
  for (const source of sources) {
    const dir = path.posix.dirname(source);
    const base = path.posix.basename(source);
    let names = [base];
    if (/[*?]/.test(base)) {
      const regex = new RegExp(`^${base.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
      names = fs.existsSync(path.join(ROOT, dir)) ? fs.readdirSync(path.join(ROOT, dir)).filter((n) => regex.test(n)) : [];
    }
    const matched = names.map((n) => path.posix.normalize(path.posix.join(dir, n))).filter((rel) => fs.existsSync(path.join(ROOT, rel)) && !isIgnored(rel));
    if (matched.length === 0) fail(`COPY source ${source} does not exist in the build context (or .dockerignore excludes it)`);
    found.push(...matched);
  }
  return found;
}

/** Docker's COPY: a directory's contents go into the destination; a file goes to it, or into it when it ends in `/` or there are several sources. */
function copy(from, to, { intoDir, filter }) {
  if (fs.lstatSync(from).isDirectory()) {
    fs.mkdirSync(to, { recursive: true });
    fs.cpSync(from, to, { recursive: true, verbatimSymlinks: true, filter });
    return;
  }
  const target = intoDir ? path.join(to, path.basename(from)) : to;
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.cpSync(from, target, { verbatimSymlinks: true });
}

function replay(stages, work) {
  const isIgnored = dockerignore();
  const roots = new Map();
  const compiling = stages.filter((s) => s.steps.some((step) => step.op === 'RUN' && /\btsc -b\b/.test(step.rest)));
  if (compiling.length !== 1) fail(`expected one stage that runs tsc -b, found ${compiling.length}`);
  const builtByCi = compiling[0].name;
  for (const file of ['apps/api/dist/main.js', 'libs/contract/dist/index.js', 'libs/storage/dist/index.js', 'apps/web/dist/s.html']) {
    if (!fs.existsSync(path.join(ROOT, file))) fail(`${file} is missing: run npm run build first (it stands for the ${builtByCi} stage)`);
  }

  for (const [index, stage] of stages.entries()) {
    const replayed = stage.name !== builtByCi;
    const root = replayed ? path.join(work, `${index}-${stage.name}`) : undefined;
    const parent = roots.get(stage.image);
    if (root) {
      if (parent?.root) fs.cpSync(parent.root, root, { recursive: true, verbatimSymlinks: true });
      else fs.mkdirSync(root, { recursive: true });
    }
    let workdir = parent?.workdir ?? '/';
    console.log(`stage ${stage.name} (FROM ${stage.image})${replayed ? '' : ': the work tree, built by npm run build'}`);
    for (const step of stage.steps) {
      if (step.op === 'WORKDIR') {
        workdir = path.posix.resolve(workdir, step.rest);
        if (root) fs.mkdirSync(path.join(root, workdir), { recursive: true });
      } else if (step.op === 'COPY') {
        const { from, sources, dest } = parseCopy(step.rest);
        const destination = path.posix.resolve(workdir, dest);
        const intoDir = dest.endsWith('/') || sources.length > 1;
        if (!from) {
          const found = contextSources(sources, isIgnored);
          if (!root) continue;
          for (const rel of found) {
            const filter = (src) => !isIgnored(path.relative(ROOT, src).split(path.sep).join('/'));
            copy(path.join(ROOT, rel), path.join(root, destination), { intoDir, filter });
          }
        } else {
          const source = roots.get(from) ?? fail(`COPY --from=${from}: no such stage before ${stage.name}`);
          for (const src of sources) {
            if (src === '/usr/local/bin/node') continue; // the base image's node: this machine's, measured in the budget
            const abs = source.root ? path.join(source.root, src) : path.join(ROOT, path.posix.relative(source.workdir, src));
            if (!fs.existsSync(abs)) fail(`COPY --from=${from} ${src}: not produced by that stage`);
            copy(abs, path.join(root, destination), { intoDir });
          }
        }
      } else if (step.op === 'RUN') {
        const command = step.rest;
        if (/^(apt-get|groupadd|useradd)\b|^mkdir -p \/data\b/.test(command)) {
          console.log(`  skip RUN ${command.slice(0, 60)}… (system packages/users of the base image)`);
        } else if (!root) {
          continue;
        } else if (/^(npm|node|sh)\s/.test(command)) {
          console.log(`  RUN ${command}`);
          execSync(command, {
            cwd: path.join(root, workdir),
            stdio: ['ignore', 'inherit', 'inherit'],
            env: { ...process.env, npm_config_prefer_offline: 'true', npm_config_update_notifier: 'false' },
          });
        } else {
          fail(`RUN ${command}: this check does not know how to replay it; teach it or keep to npm/node/sh`);
        }
      }
    }
    roots.set(stage.name, { root, workdir });
  }
  const last = stages.at(-1);
  return { app: path.join(roots.get(last.name).root, roots.get(last.name).workdir), stage: last };
}

function sizeOf(dir) {
  let bytes = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) bytes += sizeOf(full);
    else bytes += fs.lstatSync(full).size;
  }
  return bytes;
}

function assertLayout(app) {
  const present = MUST_NOT_EXIST.filter((rel) => fs.existsSync(path.join(app, rel)));
  if (present.length) fail(`the runtime /app must not contain: ${present.join(', ')}`);
  const missing = MUST_EXIST.filter((rel) => !fs.existsSync(path.join(app, rel)));
  if (missing.length) fail(`the runtime /app lacks: ${missing.join(', ')}`);
  const leftovers = execSync(`find node_modules -name '*.o' -o -name '*.gyp' -o -name '*.map'`, { cwd: app, encoding: 'utf8' }).trim();
  if (leftovers) fail(`compiler leftovers or source maps in node_modules:\n${leftovers.split('\n').slice(0, 10).join('\n')}`);
  for (let dir = path.dirname(app); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'node_modules'))) fail(`${dir}/node_modules would leak into module resolution of the layout`);
  }
}

function report(app) {
  const total = sizeOf(app);
  const nodeBinary = fs.statSync(process.execPath).size;
  const modules = path.join(app, 'node_modules');
  const packagesIn = (dir) => fs.readdirSync(path.join(modules, dir), { withFileTypes: true }).filter((e) => e.isDirectory());
  const parts = packagesIn('.')
    .flatMap((e) => (e.name.startsWith('@') ? packagesIn(e.name).map((p) => `${e.name}/${p.name}`) : [e.name]))
    .map((name) => [name, sizeOf(path.join(modules, name))])
    .sort((a, b) => b[1] - a[1])
    .slice(0, 8);
  console.log(`runtime /app: ${mb(total).toFixed(1)} MB (budget ${APP_BUDGET_MB} MB); largest packages: ${parts.map(([n, b]) => `${n} ${mb(b).toFixed(1)}`).join(', ')}`);
  const image = DEBIAN_SLIM_MB + mb(nodeBinary) + mb(total);
  console.log(`image estimate: debian:bookworm-slim ${DEBIAN_SLIM_MB} + node ${mb(nodeBinary).toFixed(1)} + /app ${mb(total).toFixed(1)} = ${image.toFixed(1)} MB (target < ${IMAGE_BUDGET_MB})`);
  if (mb(total) > APP_BUDGET_MB) fail(`the runtime /app is ${mb(total).toFixed(1)} MB, over its budget of ${APP_BUDGET_MB} MB`);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

async function smoke(app, stage, work) {
  const port = await freePort();
  const [, ...args] = stage.cmd ?? fail('the runtime stage has no CMD');
  // Production would need real secrets, SMTP and PostgreSQL; development runs the same code on the embedded database and the mail outbox.
  const env = { PATH: process.env.PATH, HOME: work, ...stage.env, APP_ENV: 'development', HOST: '127.0.0.1', PORT: String(port), DATA_DIR: path.join(work, 'data') };
  const server = spawn(process.execPath, args, { cwd: app, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  server.stdout.on('data', (d) => (output += d));
  server.stderr.on('data', (d) => (output += d));
  const exited = new Promise((resolve) => server.on('exit', resolve));
  const base = `http://127.0.0.1:${port}`;
  try {
    const deadline = Date.now() + 120_000;
    for (;;) {
      if (server.exitCode !== null) fail(`the server exited (${server.exitCode}):\n${output.slice(-3000)}`);
      const ok = await fetch(`${base}/api/healthz`).then((r) => r.ok, () => false);
      if (ok) break;
      if (Date.now() > deadline) fail(`the server did not answer /api/healthz:\n${output.slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    const docs = await fetch(`${base}/api/docs/swagger-ui-bundle.js`);
    if (!docs.ok) fail(`the docs UI's script is not served (${docs.status})`);
    const register = await fetch(`${base}/api/user/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'layout-check@example.com', password: 'correct horse battery staple' }),
    });
    if (register.status !== 201) fail(`register answered ${register.status}: ${await register.text()}\n${output.slice(-3000)}`);
    const page = await fetch(`${base}/s/usrh-0123456789abcdef0123456789abcdef/3f2a0c1e-8a43-4bb6-9f5e-0d6f0e4f1a2b`);
    if (page.status !== 200 || !/<script type="module"/.test(await page.text())) fail(`the recipient page is not served (${page.status})`);
    console.log(`server from the layout (node ${process.versions.node}): healthz 200, docs UI served, register 201, recipient page served`);
  } finally {
    server.kill('SIGTERM');
    await exited;
  }
}

async function main() {
  const keep = process.argv.includes('--keep');
  const flag = process.argv.indexOf('--dockerfile');
  const dockerfile = flag > 0 ? path.resolve(process.argv[flag + 1]) : path.join(ROOT, 'Dockerfile');
  const stages = parseDockerfile(fs.readFileSync(dockerfile, 'utf8'));
  // Native bindings are built per major version (its ABI), so the replay must run on the image's major.
  const nodeTags = stages.map((s) => /^node:(\d+)/.exec(s.image)?.[1]).filter(Boolean);
  const here = process.versions.node.split('.')[0];
  if (nodeTags.some((t) => t !== here)) fail(`the Dockerfile's node ${nodeTags.join(', ')} is not this machine's major ${here}: the replayed argon2 binding would not fit the image`);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'coffer-image-'));
  try {
    const { app, stage } = replay(stages, work);
    assertLayout(app);
    report(app);
    await smoke(app, stage, work);
    console.log('image layout: OK');
  } finally {
    if (keep) console.log(`kept ${work}`);
    else fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(`image layout check failed: ${err.message}`);
  process.exit(1);
});
