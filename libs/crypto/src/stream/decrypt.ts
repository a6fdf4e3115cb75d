import { frameOpener, type FrameOpener } from '../format/aes-gcm';
import {
  CHUNK_SIZE,
  HEADER_SIZE,
  MAX_BODY_SIZE,
  MIN_BODY_SIZE,
  NONCE_PREFIX_SIZE,
  NONCE_SIZE,
  isStrictFirstNonce,
  readStrictNonce,
} from '../format/blob';
import { verifyKeyCommitment } from '../format/commitment';
import { DecryptionError } from '../format/decryption-error';
import { toAesKey } from '../format/keys';
import { ByteReader } from './byte-reader';
import { hashesOnWorker } from './hash-ring';
import { reuseChunks } from './pipeline';
import { plaintextHash } from './plaintext-hash';
import { resultStream, type ResultStream } from './result-stream';

export interface DecryptOptions {
  /**
   * Expected key commitment (base64), checked against the first nonce before any plaintext is
   * released. Blobs with a commitment are Coffer-written, so a legacy blob is then rejected too.
   */
  commitment?: string;
  /** Expected plaintext SHA-256 (hex), checked before the plaintext of the final frame is released. */
  sha256?: string;
  /**
   * The blob's size, when known ahead (e.g. its Content-Length): large blobs are hashed on a
   * worker thread while this thread decrypts.
   */
  expectedSize?: number;
}

export interface DecryptResult {
  /** SHA-256 of the plaintext, lowercase hex. */
  sha256: string;
  plaintextSize: number;
  /**
   * The blob has no structured nonces (stock Hashdrop writer): every frame verified, but their
   * order and completeness are not proven.
   */
  legacy: boolean;
}

export type DecryptedStream = ResultStream<DecryptResult>;

/**
 * Decrypts a blob, yielding each frame's plaintext only after that frame verified. Any failure is
 * one sticky `DecryptionError`; plaintext already yielded must then be discarded by the caller.
 */
export function decrypt(src: AsyncIterable<Uint8Array>, key: Uint8Array, options: DecryptOptions = {}): DecryptedStream {
  return decryptWith(src, key, options, hashesOnWorker(options.expectedSize));
}

/** `decrypt` with the choice of thread made by the caller (tests cover both at every size). */
export function decryptWith(src: AsyncIterable<Uint8Array>, key: Uint8Array, options: DecryptOptions, onWorker: boolean): DecryptedStream {
  const opener = frameOpener(key, toAesKey(key));
  const stream = resultStream<DecryptResult>((settle) => openFrames(src, key, opener, options, onWorker, settle));
  // Plaintext chunks written out (`pipeTo`) come back to the opener, which reuses their memory.
  return reuseChunks(stream, (chunk) => opener.recycle(chunk));
}

async function* openFrames(
  src: AsyncIterable<Uint8Array>,
  rawKey: Uint8Array,
  opener: FrameOpener,
  options: DecryptOptions,
  onWorker: boolean,
  settle: (result: DecryptResult) => void,
): AsyncGenerator<Uint8Array, void, undefined> {
  const reader = new ByteReader(src);
  const sha256 = plaintextHash(onWorker);
  try {
    let header = await readHeader(reader);
    const prefix = header.subarray(0, NONCE_PREFIX_SIZE);
    const legacy = !isStrictFirstNonce(header);
    if (options.commitment !== undefined && (legacy || !verifyKeyCommitment(rawKey, prefix, options.commitment))) {
      fail();
    }
    let plaintextSize = 0;
    for (let counter = 0; ; counter++) {
      const nonce = header.subarray(0, NONCE_SIZE);
      const strict = legacy ? undefined : (readStrictNonce(nonce, prefix, counter) ?? fail());
      const plaintext = opener.open(nonce, await readBody(reader, header)) ?? fail();
      let last: boolean;
      if (strict === undefined) {
        last = !(await reader.hasMore());
      } else {
        last = strict.last;
        // A strict blob ends right after its final frame, and only the final chunk may be short.
        if (last ? await reader.hasMore() : plaintext.length !== CHUNK_SIZE) fail();
      }
      await sha256.update(plaintext);
      plaintextSize += plaintext.length;
      if (last) {
        const digest = await sha256.digest();
        if (options.sha256 !== undefined && options.sha256.toLowerCase() !== digest) fail();
        settle({ sha256: digest, plaintextSize, legacy });
        if (plaintext.length > 0) yield plaintext;
        return;
      }
      if (plaintext.length > 0) yield plaintext;
      header = await readHeader(reader);
    }
  } finally {
    sha256.dispose();
    await reader.close();
  }
}

/** Copied, so the nonce stays intact while the body is read even if the source reuses its memory. */
async function readHeader(reader: ByteReader): Promise<Buffer> {
  const header = await reader.read(HEADER_SIZE);
  if (header.length < HEADER_SIZE) fail();
  return Buffer.from(header);
}

async function readBody(reader: ByteReader, header: Buffer): Promise<Buffer> {
  const length = header.readUInt32BE(NONCE_SIZE);
  if (length < MIN_BODY_SIZE || length > MAX_BODY_SIZE) fail();
  const body = await reader.read(length);
  if (body.length < length) fail();
  return body;
}

function fail(): never {
  throw new DecryptionError();
}
