#!/usr/bin/env node
// Issue 6 items 1–2 (and issue 5's CLI bench): encrypt-and-upload and download-and-decrypt of
// random files, Coffer against the tools people use instead, to the same local storage, in paired
// runs (every round runs every case, order rotated), reported as medians, min–max and ratios.
//
//   upload:   coffer upload  |  rclone copy → crypt remote  |  tee >(openssl dgst -sha256) | age -r R | curl -T -  |  curl -T (plaintext, ceiling)
//   download: coffer decrypt |  rclone copy ← crypt remote  |  curl | age -d  |  curl (plaintext, ceiling)
//   targets:  s3   — @20minutes/s3rver in its own process, presigned URLs from the AWS SDK (behind a
//                    stand-in for the Coffer API, bench/cli-fake-api.js); rclone uses its s3 backend
//             sink — bench/http-sink.js (reads and discards; serves one file for GET): isolates the
//                    clients. rclone has no sink: its row there is crypt over a local tmpfs remote.
//
//   npx tsc -b && node bench/compare-transfer.js [--sizes 256,1024] [--runs 5] [--targets s3,sink]
//        [--dir /tmp/coffer-bench] [--rss-4g] [--quick] [--directions upload,download]
//        [--out compare-transfer]   (the name of bench/out/<name>.json)
//        [--also-cli /other/checkout/apps/cli/dist/main.js [--also-label before]]
//        (uploads: that build's `coffer upload` as one more case of every round, so a before/after
//        of the client is paired against the same peers on a machine whose load moves)
// Writes bench/out/compare-transfer.json. Downloads are written to /dev/shm (tmpfs) for every tool,
// so the disk is out of the comparison (coffer decrypt's final fsync is then nearly free).
'use strict';
const { execFileSync } = require('node:child_process');
const { createReadStream, createWriteStream, mkdirSync, rmSync, statSync } = require('node:fs');
const { join } = require('node:path');
const { Readable } = require('node:stream');
const { pipeline } = require('node:stream/promises');
const C = require('./lib/common');
const { startS3Target } = require('./lib/s3-target');
const { ageIdentity, sh } = require('./lib/age-tool');
const { startFakeApi, signInTo, freshHome, pinAccountKey, pinnedEnv } = require('./cli-fake-api');

const quick = C.flag('quick', false) === true;
const sizesMiB = String(C.flag('sizes', quick ? '64' : '256,1024')).split(',').map(Number);
const runs = Number(C.flag('runs', quick ? 3 : 5));
const targets = String(C.flag('targets', 's3,sink')).split(',');
const workDir = String(C.flag('dir', '/tmp/coffer-bench'));
const outName = String(C.flag('out', 'compare-transfer'));
const directions = String(C.flag('directions', 'upload,download')).split(',');
const rss4g = C.flag('rss-4g', false) === true || (!quick && C.flag('no-rss-4g', false) !== true);
const shm = '/dev/shm/coffer-bench-out';
const CLI = join(C.ROOT, 'apps/cli/dist/main.js');
const SINK = join(__dirname, 'http-sink.js');
const alsoCli = C.flag('also-cli', undefined);
const alsoLabel = String(C.flag('also-label', 'other build'));

async function main() {
  C.ensureTools(['/usr/bin/time', 'curl', 'openssl', 'age', 'age-keygen', 'rclone']);
  mkdirSync(workDir, { recursive: true });
  mkdirSync(shm, { recursive: true });
  const report = { machine: C.machine(), sizes_mib: sizesMiB, runs, targets, quick, upload: {}, download: {}, rss: {} };

  // age identity, rclone config (env only, no rclone.conf), Coffer state.
  const ageTool = ageIdentity(join(workDir, 'age.key'));
  const { keyPath: ageKey, recipient } = ageTool;
  const home = freshHome(join(workDir, 'coffer-home'));

  const s3 = await startS3Target(join(workDir, 's3rver'));
  const { presignPut, presignGet, keep } = s3;
  const cleanS3 = () => s3.clean();
  const rcloneEnv = {
    RCLONE_CONFIG_S3R_TYPE: 's3', RCLONE_CONFIG_S3R_PROVIDER: 'Other', RCLONE_CONFIG_S3R_ENDPOINT: s3.url,
    RCLONE_CONFIG_S3R_ACCESS_KEY_ID: 'S3RVER', RCLONE_CONFIG_S3R_SECRET_ACCESS_KEY: 'S3RVER', RCLONE_CONFIG_S3R_REGION: 'us-east-1',
    RCLONE_CONFIG_S3R_FORCE_PATH_STYLE: 'true', RCLONE_CONFIG_S3R_NO_CHECK_BUCKET: 'true',
    RCLONE_CONFIG_CR_TYPE: 'crypt', RCLONE_CONFIG_CR_REMOTE: 's3r:bench/rclone',
    RCLONE_CONFIG_CR_PASSWORD: execFileSync('rclone', ['obscure', 'bench crypt password']).toString().trim(),
    RCLONE_CONFIG_CRL_TYPE: 'crypt', RCLONE_CONFIG_CRL_REMOTE: join(shm, 'rclone-local'),
    RCLONE_CONFIG_CRL_PASSWORD: execFileSync('rclone', ['obscure', 'bench crypt password']).toString().trim(),
    RCLONE_CONFIG: '/dev/null',
  };
  // rclone's S3 backend trips on this machine's AWS_CA_BUNDLE.
  const rclone = (args) => C.timed('env', ['-u', 'AWS_CA_BUNDLE', 'rclone', ...args], { env: rcloneEnv });

  const servers = [s3];
  try {
    for (const sizeMiB of sizesMiB) {
      const size = sizeMiB * C.MIB;
      const file = C.ensureRandomFile(workDir, size);
      const name = `random-${sizeMiB}mib.bin`;
      report.upload[sizeMiB] = {};
      report.download[sizeMiB] = {};

      // ---------- upload ----------
      for (const target of directions.includes('upload') ? targets : []) {
        console.error(`upload ${sizeMiB} MiB → ${target}`);
        let sink;
        if (target === 'sink') {
          sink = await C.startServer(SINK, { SINK_GET_FILE: '' });
          servers.push(sink);
        }
        const api = await startFakeApi(target === 'sink' ? { sinkUrl: sink.url } : { putUrl: (id, n) => presignPut(`coffer/${id}`, n) });
        signInTo(home, api.url);
        // The device pins the account key once (password, Argon2id); the timed uploads then seal
        // each file key to it with no password (issue 16), and must: an unpinned run would fail.
        await pinAccountKey(CLI, home, api.url);
        const cofferEnv = pinnedEnv(home, api.url);
        const url = async (kind, n) => (target === 'sink' ? `${sink.url}/put/${kind}` : presignPut(`${kind}/${name}`, n));
        const after = target === 's3' ? cleanS3 : async () => rmSync(join(shm, 'rclone-local'), { recursive: true, force: true });
        await C.timed(process.execPath, [CLI, 'upload', file], { env: cofferEnv }); // warm-up: fills the page cache
        await after();
        const cases = [
          { name: 'coffer upload', run: () => C.timed(process.execPath, [CLI, 'upload', file, '--json'], { env: cofferEnv }), after },
          target === 's3'
            ? { name: 'rclone crypt', note: 'rclone copy to a crypt remote over the s3 remote', run: () => rclone(['copy', file, 'cr:']), after }
            : { name: 'rclone crypt', note: 'rclone copy to a crypt remote over a local tmpfs directory (no HTTP: rclone has no sink)', run: () => rclone(['copy', file, 'crl:']), after },
          { name: 'age pipeline', note: "tee >(openssl dgst -sha256) | age -r R | curl -T - with the computed Content-Length (streamed, no temp file)", run: async () =>
            C.timedShell(ageTool.uploadPipeline(file, size, await url('age', ageTool.encryptedSize(size)))), after },
          { name: 'curl -T (plaintext)', note: 'ceiling: no encryption', run: async () => C.timed('curl', ['-sS', '-f', '-T', file, '-o', '/dev/null', await url('curl', size)]), after },
        ];
        if (typeof alsoCli === 'string') {
          await C.timed(process.execPath, [alsoCli, 'upload', file], { env: cofferEnv }); // warm-up
          await after();
          cases.push({ name: `coffer upload (${alsoLabel})`, note: alsoCli, run: () => C.timed(process.execPath, [alsoCli, 'upload', file, '--json'], { env: cofferEnv }), after });
        }
        const results = await C.paired(cases, runs, size);
        assertSealed(api.completed);
        const [coffer, rc, age, curl, other] = results;
        const otherRatios = other ? [C.ratio(other, age), C.ratio(coffer, other)] : [];
        report.upload[sizeMiB][target] = { cases: results, ratios: [C.ratio(coffer, rc), C.ratio(coffer, age), C.ratio(coffer, curl), ...otherRatios] };
        await api.close();
        if (sink) await sink.stop();
      }

      // ---------- download ----------
      if (!directions.includes('download')) {
        C.writeResult(outName, report);
        continue;
      }
      console.error(`preparing downloads of ${sizeMiB} MiB…`);
      const { encrypt, randomDek } = require(join(C.ROOT, 'libs/crypto/dist/index.js'));
      const dek = randomDek();
      const blobPath = join(workDir, `${name}.coffer`);
      const blob = encrypt(createReadStream(file, { highWaterMark: C.MIB }), dek, { expectedSize: statSync(file).size });
      await pipeline(Readable.from(blob), createWriteStream(blobPath));
      const { sha256 } = await blob.result;
      const agePath = join(workDir, `${name}.age`);
      execFileSync('age', ['-r', recipient, '-o', agePath, file]);
      const meta = { file_name: name, key_management_mode: 'vault', passphrase_salt: '', kdf_params: null, key_commitment: blob.commitment, encrypted_size_bytes: statSync(blobPath).size, plaintext_hash: sha256 };
      const out = (f) => join(shm, f);
      const clearOut = async () => {
        for (const f of ['coffer.bin', 'age.bin', 'curl.bin']) rmSync(out(f), { force: true });
        rmSync(out('rclone'), { recursive: true, force: true });
      };
      for (const target of targets) {
        console.error(`download ${sizeMiB} MiB ← ${target}`);
        let api;
        const started = [];
        let ageUrl, curlUrl;
        if (target === 's3') {
          keep.clear();
          await cleanS3();
          for (const [key, path] of [[`coffer/${name}`, blobPath], [`age/${name}`, agePath], [`plain/${name}`, file]]) {
            execFileSync('curl', ['-sS', '-f', '-T', path, '-o', '/dev/null', await presignPut(key, statSync(path).size)]);
            keep.add(key);
          }
          await rclone(['copy', file, 'cr:']);
          (await s3.list('rclone/')).forEach((o) => keep.add(o.Key));
          api = await startFakeApi({ meta, getUrl: () => presignGet(`coffer/${name}`) });
          ageUrl = () => presignGet(`age/${name}`);
          curlUrl = () => presignGet(`plain/${name}`);
        } else {
          const sinks = {};
          for (const [k, path] of [['coffer', blobPath], ['age', agePath], ['plain', file]]) {
            sinks[k] = await C.startServer(SINK, { SINK_GET_FILE: path });
            started.push(sinks[k]);
          }
          api = await startFakeApi({ sinkUrl: sinks.coffer.url, meta });
          ageUrl = async () => `${sinks.age.url}/get/x`;
          curlUrl = async () => `${sinks.plain.url}/get/x`;
          await rclone(['copy', file, 'crl:']);
        }
        const link = `${api.url}/files/download/${api.owner}/00000000-0000-4000-8000-000000000000`;
        const cases = [
          { name: 'coffer decrypt', note: 'download, verify commitment + frames + SHA-256, write, fsync, rename', run: () => C.timed(process.execPath, [CLI, 'decrypt', link, out('coffer.bin'), '--key', dek.toString('base64'), '--force', '--json'], { env: { COFFER_HOME: home } }), after: clearOut },
          target === 's3'
            ? { name: 'rclone crypt', note: 'rclone copy back from the crypt remote over s3', run: () => rclone(['copy', `cr:${name}`, out('rclone')]), after: clearOut }
            : { name: 'rclone crypt', note: 'rclone copy back from crypt over a local tmpfs directory (no HTTP)', run: () => rclone(['copy', `crl:${name}`, out('rclone')]), after: clearOut },
          { name: 'curl | age -d', run: async () => C.timedShell(`curl -sS -f ${sh(await ageUrl())} | age -d -i ${sh(ageKey)} > ${sh(out('age.bin'))}`), after: clearOut },
          { name: 'curl (plaintext)', note: 'ceiling: no decryption', run: async () => C.timed('curl', ['-sS', '-f', '-o', out('curl.bin'), await curlUrl()]), after: clearOut },
        ];
        const results = await C.paired(cases, runs, size);
        const [coffer, rc, age, curl] = results;
        report.download[sizeMiB][target] = { cases: results, ratios: [C.ratio(coffer, rc), C.ratio(coffer, age), C.ratio(coffer, curl)] };
        await api.close();
        for (const s of started) await s.stop();
        rmSync(join(shm, 'rclone-local'), { recursive: true, force: true });
      }
      keep.clear();
      await cleanS3();
      rmSync(blobPath, { force: true });
      rmSync(agePath, { force: true });
      C.writeResult(outName, report); // partial results survive an interrupted run
    }

    if (rss4g) {
      // Peak memory must not grow with the file: one coffer upload and decrypt of 4 GiB via the sink.
      const size = 4096 * C.MIB;
      const file = C.ensureRandomFile(workDir, size);
      console.error('peak RSS at 4 GiB…');
      const sink = await C.startServer(SINK, { SINK_GET_FILE: '' });
      servers.push(sink);
      const api = await startFakeApi({ sinkUrl: sink.url });
      signInTo(home, api.url);
      await pinAccountKey(CLI, home, api.url);
      const up = await C.timed(process.execPath, [CLI, 'upload', file, '--json'], { env: pinnedEnv(home, api.url) });
      assertSealed(api.completed);
      report.rss['4096'] = { upload: { seconds: up.seconds, MBps: +(size / 1e6 / up.seconds).toFixed(0), cpu_s: +up.cpu.toFixed(2), rss_MiB: +up.rssMiB.toFixed(1) } };
      await api.close();
      await sink.stop();
      rmSync(file, { force: true });
    }
  } finally {
    for (const s of servers) await s.stop().catch(() => undefined);
    rmSync(shm, { recursive: true, force: true });
  }
  for (const sizeMiB of sizesMiB) {
    const up = report.upload[sizeMiB]?.sink?.cases.find((c) => c.name === 'coffer upload');
    const down = report.download[sizeMiB]?.sink?.cases.find((c) => c.name === 'coffer decrypt');
    report.rss[sizeMiB] = { upload_rss_MiB: up?.rss_MiB_max, decrypt_rss_MiB: down?.rss_MiB_max };
  }
  C.writeResult(outName, report);
}

/** Every upload the fake API completed carried a sealed key: the bench measured the no-password path. */
function assertSealed(completed) {
  const unsealed = completed.filter((body) => typeof body.sealed_key !== 'string');
  if (completed.length === 0 || unsealed.length > 0) throw new Error(`${unsealed.length} of ${completed.length} uploads were not sealed to the account key`);
}

main().catch((error) => {
  console.error(error);
  // A failed case can leave a fake API listening; do not hang on it.
  process.exit(1);
});
