'use strict';
// One crypto job per process, for bench/crypto-only.js: node crypto-task.js <mode> <input> [output]
const { createCipheriv, createHash, randomBytes } = require('node:crypto');
const { createReadStream, createWriteStream, statSync } = require('node:fs');
const { open } = require('node:fs/promises');
const { join } = require('node:path');
const { Readable } = require('node:stream');
const { pipeline } = require('node:stream/promises');
const { decrypt, encrypt, pipeTo } = require(join(__dirname, '..', '..', 'libs/crypto/dist/index.js'));

const KEY = Buffer.alloc(32, 7);
const [mode, input, output] = process.argv.slice(2);
const MIB = 1024 * 1024;

async function* reuse(path) {
  // Like the CLI: 1 MiB reads into two reused buffers (valid because the consumer copies).
  const handle = await open(path);
  const buffers = [Buffer.allocUnsafe(MIB), Buffer.allocUnsafe(MIB)];
  try {
    for (let i = 0; ; i++) {
      const { bytesRead } = await handle.read(buffers[i % 2], 0, MIB, null);
      if (bytesRead === 0) return;
      yield buffers[i % 2].subarray(0, bytesRead);
    }
  } finally {
    await handle.close();
  }
}

async function main() {
  if (mode === 'make-blob') {
    const blob = encrypt(createReadStream(input, { highWaterMark: MIB }), KEY, { expectedSize: statSync(input).size });
    await pipeline(Readable.from(blob), createWriteStream(output));
  } else if (mode === 'encrypt-worker') {
    // As the CLI: the worker reads the file and hashes it, this thread encrypts; chunks are given
    // back as soon as they are "written".
    const handle = await open(input);
    const blob = encrypt({ fd: handle.fd, size: (await handle.stat()).size }, KEY);
    await pipeTo(blob, { write: (_chunk, done) => done() });
    await blob.result;
    await handle.close();
  } else if (mode === 'encrypt-inline') {
    // A stream of known size: read here, hashed on the worker.
    const blob = encrypt(createReadStream(input, { highWaterMark: MIB }), KEY, { expectedSize: statSync(input).size });
    for await (const _ of blob);
    await blob.result;
  } else if (mode === 'decrypt') {
    const stream = decrypt(createReadStream(input, { highWaterMark: MIB }), KEY, { expectedSize: statSync(input).size });
    for await (const _ of stream);
    await stream.result;
  } else if (mode === 'raw-gcm' || mode === 'raw-gcm-sha') {
    const sha = createHash('sha256');
    for await (const piece of reuse(input)) {
      for (let o = 0; o < piece.length; o += 65536) {
        const chunk = piece.subarray(o, o + 65536);
        const c = createCipheriv('aes-256-gcm', KEY, randomBytes(12));
        c.update(chunk);
        c.final();
        c.getAuthTag();
        if (mode === 'raw-gcm-sha') sha.update(chunk);
      }
    }
    sha.digest();
  } else throw new Error(`unknown mode ${mode}`);
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
