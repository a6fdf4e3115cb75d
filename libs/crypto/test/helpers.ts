import { createCipheriv } from 'node:crypto';
import { decrypt, encrypt, type DecryptOptions, type EncryptOptions } from '@coffer/crypto';
import { encryptWith } from '../src/stream/encrypt';

export const CHUNK = 65_536;
export const FRAME = CHUNK + 32;

/** Yields `data` cut into pieces of `size` bytes (views, no copies). */
export async function* chunked(data: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let offset = 0; offset < data.length; offset += size) yield data.subarray(offset, offset + size);
}

export async function collect(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const pieces: Uint8Array[] = [];
  for await (const piece of stream) pieces.push(piece);
  return Buffer.concat(pieces);
}

/** Deterministic plaintext: byte i is (i * 31 + 7) mod 251 (also the rule the vector files state). */
export function patterned(size: number): Buffer {
  const data = Buffer.alloc(size);
  for (let i = 0; i < size; i++) data[i] = (i * 31 + 7) % 251;
  return data;
}

/** `onWorker` forces the hashing thread; by default `encrypt` chooses (inline at these sizes). */
export async function encryptToBuffer(plaintext: Uint8Array, key: Uint8Array, options: EncryptOptions = {}, sourceChunk = CHUNK, onWorker?: boolean) {
  const source = chunked(plaintext, sourceChunk);
  const blob = onWorker === undefined ? encrypt(source, key, options) : encryptWith(source, key, options, onWorker);
  const bytes = await collect(blob);
  return { bytes, noncePrefix: blob.noncePrefix, commitment: blob.commitment, result: await blob.result };
}

export interface DecryptOutcome {
  /** Everything the stream yielded before it ended or failed, concatenated. */
  released: Buffer;
  error?: unknown;
}

/** Decrypts, keeping what was released before a failure instead of throwing. */
export async function decryptOutcome(blob: Uint8Array, key: Uint8Array, options: DecryptOptions = {}, sourceChunk = 4096): Promise<DecryptOutcome> {
  const pieces: Uint8Array[] = [];
  try {
    for await (const piece of decrypt(chunked(blob, sourceChunk), key, options)) pieces.push(Buffer.from(piece));
    return { released: Buffer.concat(pieces) };
  } catch (error) {
    return { released: Buffer.concat(pieces), error };
  }
}

/** Splits a blob into its frames (by the length fields), for tests that move frames around. */
export function splitFrames(blob: Buffer): Buffer[] {
  const frames: Buffer[] = [];
  for (let offset = 0; offset < blob.length; ) {
    const size = 16 + blob.readUInt32BE(offset + 12);
    frames.push(blob.subarray(offset, offset + size));
    offset += size;
  }
  return frames;
}

/**
 * One frame built straight from node:crypto, independently of the library: nonce = prefix ||
 * counter (4 bytes BE) || flag, then the body length, then ciphertext || tag.
 */
export function independentFrame(key: Uint8Array, prefix: Uint8Array, counter: number, flag: number, plaintext: Uint8Array): Buffer {
  const nonce = Buffer.alloc(12);
  nonce.set(prefix);
  nonce.writeUInt32BE(counter, 7);
  nonce[11] = flag;
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(ciphertext.length);
  return Buffer.concat([nonce, length, ciphertext]);
}
