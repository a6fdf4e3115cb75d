import { createHash } from 'node:crypto';
import { HashRing } from './hash-ring';
import { SLOT_SIZE } from './ring-layout';

/** Incremental SHA-256 of a plaintext, as lowercase hex. `update` may copy `data`, never keeps it. */
export interface PlaintextHash {
  update(data: Uint8Array): Promise<void>;
  digest(): Promise<string>;
  /** Frees resources; safe to call at any time, also after `digest`. */
  dispose(): void;
}

/** On a worker, the plaintext is copied into the hash ring and hashed on a second core. */
export function plaintextHash(onWorker: boolean): PlaintextHash {
  return onWorker ? new RingHash() : new InlineHash();
}

class InlineHash implements PlaintextHash {
  private readonly hash = createHash('sha256');

  async update(data: Uint8Array): Promise<void> {
    this.hash.update(data);
  }

  async digest(): Promise<string> {
    return this.hash.digest('hex');
  }

  dispose(): void {}
}

class RingHash implements PlaintextHash {
  private readonly ring = new HashRing();
  private slot = 0;
  private memory: Buffer | undefined;
  private filled = 0;

  async update(data: Uint8Array): Promise<void> {
    for (let offset = 0; offset < data.length; ) {
      this.memory ??= await this.ring.slotMemory(this.slot);
      const size = Math.min(data.length - offset, SLOT_SIZE - this.filled);
      this.memory.set(data.subarray(offset, offset + size), this.filled);
      this.filled += size;
      offset += size;
      if (this.filled === SLOT_SIZE) this.publish();
    }
  }

  async digest(): Promise<string> {
    if (this.filled > 0) this.publish();
    this.ring.close();
    return (await this.ring.result()).sha256;
  }

  dispose(): void {
    void this.ring.dispose();
  }

  private publish(): void {
    this.ring.publish(this.slot, this.filled);
    // Copied in: this thread does not read the slot again.
    this.ring.release(this.slot);
    this.slot++;
    this.memory = undefined;
    this.filled = 0;
  }
}
