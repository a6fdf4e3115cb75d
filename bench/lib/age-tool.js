'use strict';
// The age side of the comparisons: a fresh identity, the exact size of age's output (a presigned
// PUT needs it up front) and the streamed upload pipeline a user would run.
const { execFileSync } = require('node:child_process');
const { rmSync } = require('node:fs');

const sh = (s) => `'${String(s).replace(/'/g, `'\\''`)}'`;

/** Writes a new age identity to `keyPath`; returns its recipient and helpers bound to it. */
function ageIdentity(keyPath) {
  rmSync(keyPath, { force: true });
  execFileSync('age-keygen', ['-o', keyPath], { stdio: 'ignore' });
  const recipient = execFileSync('age-keygen', ['-y', keyPath]).toString().trim();
  const overhead = execFileSync('age', ['-r', recipient], { input: Buffer.alloc(0) }).length - 16; // header + nonce
  // 64 KiB chunks, each with a 16-byte tag; an empty input still has one chunk.
  const encryptedSize = (plaintextBytes) => overhead + plaintextBytes + 16 * Math.max(1, Math.ceil(plaintextBytes / 65536));
  return {
    keyPath,
    recipient,
    encryptedSize,
    /** `tee >(openssl dgst -sha256) | age -r R | curl -T -` with the computed Content-Length: streamed, no temp file. */
    uploadPipeline: (file, plaintextBytes, url) =>
      `tee >(openssl dgst -sha256 >/dev/null) < ${sh(file)} | age -r ${recipient} | curl -sS -f -T - -H 'Transfer-Encoding:' -H 'Content-Length: ${encryptedSize(plaintextBytes)}' -o /dev/null ${sh(url)}`,
  };
}

module.exports = { ageIdentity, sh };
