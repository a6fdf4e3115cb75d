import { createHash } from 'node:crypto';
import { WorkerSha256 } from './worker-sha256';

/** Incremental SHA-256 of a plaintext, as lowercase hex. `update` may copy `data`, never keeps it. */
export interface Sha256Stream {
  update(data: Uint8Array): Promise<void>;
  digest(): Promise<string>;
  /** Frees resources; safe to call at any time, also after `digest`. */
  dispose(): void;
}

export function createSha256(onWorker: boolean): Sha256Stream {
  return onWorker ? new WorkerSha256() : new InlineSha256();
}

class InlineSha256 implements Sha256Stream {
  private readonly hash = createHash('sha256');

  async update(data: Uint8Array): Promise<void> {
    this.hash.update(data);
  }

  async digest(): Promise<string> {
    return this.hash.digest('hex');
  }

  dispose(): void {}
}
