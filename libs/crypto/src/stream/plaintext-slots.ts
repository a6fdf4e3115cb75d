import { createHash } from 'node:crypto';
import { giveBack, takeBuffer } from './buffer-pool';
import { HashRing } from './hash-ring';
import { SLOT_SIZE } from './ring-layout';
import { isFileSource, toBlockSource, type BlockSource, type EncryptSource } from './sources';

export interface PlaintextDigest {
  /** SHA-256 of the plaintext, lowercase hex. */
  sha256: string;
  plaintextSize: number;
}

/**
 * The plaintext of a blob in slots of up to SLOT_SIZE bytes, hashed on the way: `next` gives the
 * next slot and whether it is the last (the flag is part of the last frame's nonce); `release`
 * says the caller no longer reads the slot `next` gave.
 */
export interface PlaintextSlots {
  next(): Promise<{ bytes: Uint8Array; last: boolean }>;
  release(): void;
  result(): Promise<PlaintextDigest>;
  /** Stops reading and hashing; resolves once nothing touches the source any more. */
  dispose(): Promise<void>;
}

/**
 * On a worker, SHA-256 runs on a second core while this thread seals; a file is then read by the
 * worker too. Inline, this thread reads, hashes and seals.
 */
export function plaintextSlots(src: EncryptSource, onWorker: boolean): PlaintextSlots {
  if (onWorker && isFileSource(src)) return new WorkerReadSlots(new HashRing(src), src.size);
  return new ReadAheadSlots(toBlockSource(src), onWorker ? new RingStore(new HashRing()) : new InlineStore());
}

/** Where `ReadAheadSlots` puts slots, and who hashes them. */
interface SlotStore {
  readonly isStopped: boolean;
  /** Memory for slot `slot`, once what it held before is no longer needed. */
  memory(slot: number): Promise<Buffer>;
  /** Slot `slot` now holds `bytes`; `ended`: the source ended in it. */
  filled(slot: number, bytes: Buffer, ended: boolean): void;
  release(slot: number): void;
  result(): Promise<PlaintextDigest>;
  /** `drained`: the source was read to its end and no read is in flight, so memory may be reused. */
  dispose(drained: boolean): Promise<void>;
}

/**
 * Buffers used in turn, hashed here. Three: while slot n is sealed, slot n + 1 is already read (to
 * know whether n is the last) and slot n + 2 is being read.
 */
const INLINE_BUFFERS = 3;

class InlineStore implements SlotStore {
  isStopped = false;
  private readonly buffers: Buffer[] = [];
  private readonly hash = createHash('sha256');
  private size = 0;

  async memory(slot: number): Promise<Buffer> {
    return (this.buffers[slot % INLINE_BUFFERS] ??= takeBuffer(SLOT_SIZE));
  }

  filled(_slot: number, bytes: Buffer): void {
    this.hash.update(bytes);
    this.size += bytes.length;
  }

  release(): void {}

  async result(): Promise<PlaintextDigest> {
    return { sha256: this.hash.digest('hex'), plaintextSize: this.size };
  }

  async dispose(drained: boolean): Promise<void> {
    this.isStopped = true;
    // A read still in flight would write into a buffer given back: only after a clean end.
    if (drained) for (const buffer of this.buffers.splice(0)) giveBack(buffer);
  }
}

/** The slots of the hash ring, hashed by its worker. */
class RingStore implements SlotStore {
  constructor(private readonly ring: HashRing) {}

  get isStopped(): boolean {
    return this.ring.isStopped;
  }

  memory(slot: number): Promise<Buffer> {
    return this.ring.slotMemory(slot);
  }

  filled(slot: number, bytes: Buffer, ended: boolean): void {
    if (bytes.length > 0) this.ring.publish(slot, bytes.length);
    if (ended) this.ring.close();
  }

  release(slot: number): void {
    this.ring.release(slot);
  }

  result(): Promise<PlaintextDigest> {
    return this.ring.result();
  }

  dispose(): Promise<void> {
    return this.ring.dispose();
  }
}

/** Reads the source on this thread, ahead of the sealing: slot n + 2 is read while slot n is sealed. */
class ReadAheadSlots implements PlaintextSlots {
  private readonly reads: Promise<Buffer>[] = [];
  private slot = -1;
  private ended = false;
  /** The source ended by itself (not stopped): every read that touches memory has finished. */
  private drained = false;

  constructor(
    private readonly src: BlockSource,
    private readonly store: SlotStore,
  ) {}

  async next(): Promise<{ bytes: Uint8Array; last: boolean }> {
    const slot = ++this.slot;
    const bytes = await this.read(slot);
    // A full slot is the last only if nothing follows it.
    const last = bytes.length < SLOT_SIZE || (await this.read(slot + 1)).length === 0;
    return { bytes, last };
  }

  release(): void {
    this.store.release(this.slot);
  }

  result(): Promise<PlaintextDigest> {
    return this.store.result();
  }

  async dispose(): Promise<void> {
    const drained = this.drained;
    this.stop();
    await this.store.dispose(drained);
  }

  /** The bytes of slot `slot`, empty once the source has ended; starts reading the one after it. */
  private read(slot: number): Promise<Buffer> {
    for (let next = this.reads.length; next <= slot + 1; next++) {
      const read = this.fill(next);
      // A read ahead may fail after the blob has already failed or ended.
      read.catch(() => undefined);
      this.reads.push(read);
    }
    return this.reads[slot];
  }

  private async fill(slot: number): Promise<Buffer> {
    const previous = this.reads[slot - 1];
    // Slots are read in order, and none after the end.
    if ((previous !== undefined && (await previous).length < SLOT_SIZE) || this.ended) return Buffer.alloc(0);
    const memory = await this.store.memory(slot);
    let length = 0;
    try {
      while (length < SLOT_SIZE && !this.store.isStopped) {
        const read = await this.src.readInto(memory.subarray(length));
        if (read === 0) break;
        length += read;
      }
    } catch (error) {
      this.stop();
      throw error;
    }
    if (this.store.isStopped) return Buffer.alloc(0);
    const ended = length < SLOT_SIZE;
    this.store.filled(slot, memory.subarray(0, length), ended);
    if (ended) {
      this.ended = true;
      this.drained = true;
      await this.src.close();
    }
    return memory.subarray(0, length);
  }

  private stop(): void {
    if (this.ended) return;
    this.ended = true;
    void this.src.close().catch(() => undefined);
  }
}

/** The slots of a file the ring's worker reads (and hashes). */
class WorkerReadSlots implements PlaintextSlots {
  private slot = -1;
  private offset = 0;

  constructor(
    private readonly ring: HashRing,
    private readonly size: number,
  ) {}

  async next(): Promise<{ bytes: Uint8Array; last: boolean }> {
    const slot = ++this.slot;
    const bytes = this.offset === this.size ? Buffer.alloc(0) : await this.ring.filledSlot(slot);
    this.offset += bytes.length;
    return { bytes, last: this.offset === this.size };
  }

  release(): void {
    this.ring.release(this.slot);
  }

  result(): Promise<PlaintextDigest> {
    return this.ring.result();
  }

  dispose(): Promise<void> {
    return this.ring.dispose();
  }
}
