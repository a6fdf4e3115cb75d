'use strict';
// Shared helpers of the comparison benchmarks: timed child processes (/usr/bin/time -v), paired
// runs, statistics, the random input files, the sink and S3 servers, and bench/out/<name>.json.
const { spawn, spawnSync } = require('node:child_process');
const { existsSync, mkdirSync, readFileSync, writeFileSync, statSync } = require('node:fs');
const { cpus, loadavg } = require('node:os');
const { join } = require('node:path');

const ROOT = join(__dirname, '..', '..');
const OUT_DIR = join(ROOT, 'bench', 'out');
const MIB = 1024 * 1024;

/** Debian packages the comparisons need; installed when missing and we are root, else explained. */
function ensureTools(tools) {
  const packages = { rclone: 'rclone', age: 'age', 'age-keygen': 'age', curl: 'curl', openssl: 'openssl', '/usr/bin/time': 'time' };
  const missing = tools.filter((t) => spawnSync('sh', ['-c', `command -v ${t}`]).status !== 0);
  if (missing.length === 0) return;
  const pkgs = [...new Set(missing.map((t) => packages[t] ?? t))];
  if (process.getuid?.() === 0) {
    console.error(`installing ${pkgs.join(' ')} (apt-get)…`);
    spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
    const r = spawnSync('apt-get', ['install', '-y', '-qq', ...pkgs], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    if (r.status === 0) return;
  }
  console.error(`missing tools: ${missing.join(', ')}. Install them with:\n  sudo apt-get update && sudo apt-get install -y ${pkgs.join(' ')}`);
  process.exit(2);
}

/** Runs a command under /usr/bin/time -v: wall seconds, CPU seconds (user+sys of it and its children), peak RSS. */
function timed(cmd, args, { env, cwd } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/time', ['-v', cmd, ...args], { env: { ...process.env, ...env }, cwd, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (c) => (err += c));
    child.once('error', reject);
    child.once('close', (code) => {
      const field = (re) => Number(re.exec(err)?.[1] ?? NaN);
      const wall = /Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)/.exec(err);
      if (code !== 0 || !wall || /Command exited with non-zero status/.test(err)) {
        return reject(new Error(`${cmd} ${args.join(' ')} failed (${code}):\n${err.slice(-2000)}`));
      }
      resolve({
        seconds: Number(wall[1] ?? 0) * 3600 + Number(wall[2]) * 60 + Number(wall[3]),
        cpu: field(/User time \(seconds\): ([\d.]+)/) + field(/System time \(seconds\): ([\d.]+)/),
        rssMiB: field(/Maximum resident set size \(kbytes\): (\d+)/) / 1024,
        stderr: err,
      });
    });
  });
}

/** A shell pipeline, timed as a whole (CPU summed over its processes; RSS of the largest one). */
const timedShell = (script, opts) => timed('bash', ['-o', 'pipefail', '-c', script], opts);

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/**
 * Paired runs: every round runs each case once, in an order rotated per round (A B C, B C A, …),
 * so slow phases of a shared machine hit every case alike. `before`/`after` run outside the timing.
 */
async function paired(cases, rounds, bytes, log = console.error) {
  const results = Object.fromEntries(cases.map((c) => [c.name, []]));
  for (let round = 0; round < rounds; round++) {
    const order = cases.map((_, i) => cases[(i + round) % cases.length]);
    for (const c of order) {
      if (c.before) await c.before();
      results[c.name].push(await c.run());
      if (c.after) await c.after();
    }
    log(`  round ${round + 1}/${rounds}: ${cases.map((c) => `${c.name} ${results[c.name].at(-1).seconds.toFixed(2)}s`).join(', ')}`);
  }
  return cases.map((c) => summarize(c.name, results[c.name], bytes, c.note));
}

function summarize(name, runs, bytes, note) {
  const rate = (s) => bytes / 1e6 / s;
  const secs = runs.map((r) => r.seconds);
  return {
    name,
    ...(note ? { note } : {}),
    runs: runs.length,
    MBps_median: +rate(median(secs)).toFixed(0),
    MBps_min: +rate(Math.max(...secs)).toFixed(0),
    MBps_max: +rate(Math.min(...secs)).toFixed(0),
    seconds: secs.map((s) => +s.toFixed(3)),
    cpu_s_median: +median(runs.map((r) => r.cpu)).toFixed(2),
    rss_MiB_max: +Math.max(...runs.map((r) => r.rssMiB)).toFixed(1),
  };
}

/** Ratio of medians (A's rate over B's) plus the spread of the per-round ratios. */
function ratio(a, b) {
  const per = a.seconds.map((s, i) => b.seconds[i] / s);
  return { of: `${a.name} / ${b.name}`, median: +(b.seconds.length ? median(per) : NaN).toFixed(2), min: +Math.min(...per).toFixed(2), max: +Math.max(...per).toFixed(2) };
}

function ensureRandomFile(dir, bytes) {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `random-${bytes / MIB}mib.bin`);
  if (existsSync(path) && statSync(path).size === bytes) return path;
  console.error(`creating ${path} (${bytes / MIB} MiB of random bytes)…`);
  const r = spawnSync('sh', ['-c', `head -c ${bytes} /dev/urandom > '${path}.tmp' && mv '${path}.tmp' '${path}'`], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('could not create the input file');
  return path;
}

/** Starts a node script that prints "listening <port>"; returns its URL, its pid and a stop function. */
function startServer(script, env = {}, onLine = () => undefined) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
    let buffered = '';
    child.stdout.on('data', (chunk) => {
      buffered += chunk;
      let nl;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (line.startsWith('listening ')) {
          resolve({ url: `http://127.0.0.1:${line.split(' ')[1]}`, pid: child.pid, stop: () => new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r() : (child.once('exit', r), child.kill()))) });
        } else onLine(line);
      }
    });
    child.once('error', reject);
    child.once('exit', (code, signal) => reject(new Error(`${script} exited ${code ?? signal}`)));
  });
}

/** Milliseconds a process's main thread has spent on a core and waiting in the run queue (Linux schedstat). */
function mainThreadTimes(pid) {
  const [running, waiting] = readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').split(' ').map((ns) => Number(ns) / 1e6);
  return { running, waiting };
}

/**
 * Runs a timed command and splits a server's main thread over it (ms): running, waiting for a
 * core, and idle (waiting for data or for its own I/O) for the rest of the command's wall time.
 */
async function withServerShare(pid, run) {
  const before = mainThreadTimes(pid);
  const result = await run();
  const after = mainThreadTimes(pid);
  const running = after.running - before.running;
  const waiting = after.waiting - before.waiting;
  return { result, server: { running, waiting, idle: result.seconds * 1000 - running - waiting } };
}

function machine() {
  const model = cpus()[0]?.model ?? 'unknown';
  return { nproc: cpus().length, cpu_model: model, node: process.version, loadavg_at_start: loadavg().map((l) => +l.toFixed(2)) };
}

function writeResult(name, report) {
  mkdirSync(OUT_DIR, { recursive: true });
  report.machine = { ...(report.machine ?? machine()), loadavg_at_end: loadavg().map((l) => +l.toFixed(2)) };
  report.finished_at = new Date().toISOString();
  const path = join(OUT_DIR, `${name}.json`);
  writeFileSync(path, `${JSON.stringify(report, null, 2)}\n`);
  console.error(`wrote ${path}`);
}

function flag(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = process.argv[i + 1];
  return v === undefined || v.startsWith('--') ? true : v;
}

module.exports = { ROOT, MIB, ensureTools, timed, timedShell, paired, ratio, median, ensureRandomFile, startServer, withServerShare, machine, writeResult, flag };
