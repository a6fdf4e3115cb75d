import { createCipheriv, createDecipheriv, type KeyObject } from 'node:crypto';
import { CHUNK_SIZE, HEADER_SIZE, NONCE_SIZE, TAG_SIZE } from './blob';
import { nativeGcm } from './native-gcm';

/** AES-256-GCM without associated data; the result is ciphertext followed by the 16-byte tag. */
export function gcmSeal(key: KeyObject, nonce: Uint8Array, plaintext: Uint8Array): { ciphertext: Buffer; tag: Buffer } {
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  const ciphertext = cipher.update(plaintext);
  cipher.final();
  return { ciphertext, tag: cipher.getAuthTag() };
}

/** Opens `ciphertext || tag`; throws (Node's own error) when the tag does not verify or is cut short. */
export function gcmOpen(key: KeyObject, nonce: Uint8Array, sealed: Uint8Array): Buffer {
  const decipher = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_SIZE });
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_SIZE));
  const plaintext = decipher.update(sealed.subarray(0, sealed.length - TAG_SIZE));
  decipher.final();
  return plaintext;
}

/** Writes one whole frame (nonce, body length, ciphertext, tag) at `offset` of `out`; returns the offset after it. */
export type FrameSealer = (nonce: Buffer, chunk: Uint8Array, out: Buffer, offset: number) => number;

/**
 * Seals the frames of one blob. With the native binding the ciphertext goes straight into `out`;
 * otherwise through Node's crypto, which allocates a fresh buffer per frame.
 */
export function frameSealer(rawKey: Uint8Array, key: KeyObject): FrameSealer {
  const native = nativeGcm.binding;
  return (nonce, chunk, out, offset) => {
    nonce.copy(out, offset);
    const body = offset + HEADER_SIZE;
    let bodyLength: number;
    if (native) {
      bodyLength = native.seal(rawKey, nonce, chunk, out.subarray(body, body + chunk.length + TAG_SIZE));
    } else {
      const { ciphertext, tag } = gcmSeal(key, nonce, chunk);
      out.set(ciphertext, body);
      out.set(tag, body + ciphertext.length);
      bodyLength = ciphertext.length + TAG_SIZE;
    }
    out.writeUInt32BE(bodyLength, offset + NONCE_SIZE);
    return body + bodyLength;
  };
}

/** Plaintexts of successive frames are carved out of blocks of this size (16 full frames). */
const OPEN_BLOCK_SIZE = 16 * CHUNK_SIZE;
/** Blocks whose every plaintext came back, kept for reuse. */
const SPARE_BLOCKS = 4;

export interface FrameOpener {
  /** The frame's plaintext, or undefined when the tag does not verify. */
  open(nonce: Uint8Array, sealed: Uint8Array): Buffer | undefined;
  /** Takes back a plaintext `open` returned, once the caller is done with it (optional). */
  recycle(plaintext: Uint8Array): void;
}

interface Block {
  buffer: Buffer;
  used: number;
  /** Plaintexts handed out from this block and not yet given back. */
  lent: number;
}

/**
 * Opens the frames of one blob, one after another. With the native binding, plaintexts are cut
 * from 1 MiB blocks instead of one fresh buffer each, and a block whose every plaintext was given
 * back with `recycle` is reused: fresh memory is expensive (page faults), reused memory is hot in
 * cache. A plaintext that is never given back stays valid as long as it is kept.
 */
export function frameOpener(rawKey: Uint8Array, key: KeyObject): FrameOpener {
  const native = nativeGcm.binding;
  if (!native) {
    const open = (nonce: Uint8Array, sealed: Uint8Array): Buffer | undefined => {
      try {
        return gcmOpen(key, nonce, sealed);
      } catch {
        return undefined;
      }
    };
    return { open, recycle: () => undefined };
  }
  let current: Block | undefined;
  const spare: Buffer[] = [];
  const blocks = new WeakMap<ArrayBufferLike, Block>();
  // Only what `open` handed out, and each only once, may come back.
  const lent = new WeakSet<Uint8Array>();
  const retire = (block: Block): void => {
    if (block.lent === 0 && block.buffer.length === OPEN_BLOCK_SIZE && spare.length < SPARE_BLOCKS) spare.push(block.buffer);
  };
  return {
    open(nonce, sealed) {
      const size = sealed.length - TAG_SIZE;
      if (size < 0) return undefined;
      if (!current || current.used + size > current.buffer.length) {
        if (current) retire(current);
        const buffer = size <= OPEN_BLOCK_SIZE ? (spare.pop() ?? Buffer.allocUnsafeSlow(OPEN_BLOCK_SIZE)) : Buffer.allocUnsafeSlow(size);
        current = { buffer, used: 0, lent: 0 };
        blocks.set(buffer.buffer, current);
      }
      const plaintext = current.buffer.subarray(current.used, current.used + size);
      if (!native.open(rawKey, nonce, sealed, plaintext)) return undefined;
      current.used += size;
      current.lent++;
      lent.add(plaintext);
      return plaintext;
    },
    recycle(plaintext) {
      const block = blocks.get(plaintext.buffer);
      if (!block || !lent.delete(plaintext)) return;
      block.lent--;
      if (block !== current) retire(block);
    },
  };
}
