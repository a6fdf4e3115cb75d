import type { Bytes } from '../crypto/bytes';
import { BlobDecryptor, type DecryptResult } from '../crypto/decrypt';
import { DecryptionError } from '../crypto/decryption-error';
import { openDownload } from './api';
import type { PlaintextSink } from './sinks';
import { startSha256 } from './worker-sha256';

export interface Progress {
  received: number;
  total: number;
  bytesPerSecond: number;
  /** Unknown until the speed is. */
  secondsLeft?: number;
}

export interface DownloadRequest {
  owner: string;
  fileId: string;
  dek: Bytes;
  commitment?: string;
  sha256?: string;
  /** Plaintext size the metadata record promises, checked before the file is kept. */
  size?: number;
  total: number;
  sink: PlaintextSink;
  signal: AbortSignal;
  onProgress: (progress: Progress) => void;
}

/** Plaintext is handed to the sink in batches of about this: each write is a round trip to another process. */
const BATCH_BYTES = 4 * 1024 * 1024;
const PROGRESS_EVERY_MS = 250;

/**
 * The counted download, decrypted frame by frame into the sink as it arrives. Three things overlap:
 * the network read, up to a window of frames decrypting (BlobDecryptor), and one batch being
 * written while the next is decrypted; the SHA-256 runs in a worker. Memory stays at a few
 * batches whatever the size. Any failure aborts the sink (no partial file) and is rethrown.
 */
export async function downloadAndDecrypt(request: DownloadRequest): Promise<DecryptResult> {
  const { sink } = request;
  try {
    const res = await openDownload(request.owner, request.fileId, request.signal);
    const total = Number(res.headers.get('Content-Length')) || request.total;
    const decryptor = await BlobDecryptor.create(request.dek, { commitment: request.commitment, sha256: request.sha256, hash: await startSha256() });
    const reader = res.body!.getReader();
    const meter = new SpeedMeter(total, request.onProgress);
    const writer = new BatchWriter(sink);
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      meter.add(value.length);
      // The fetch body's chunk is ours: no copy.
      await writer.add(await decryptor.push(value, true));
    }
    const { plaintext, result } = await decryptor.finish();
    // The size the record promised is checked before the file's end is released.
    if (request.size !== undefined && result.plaintextSize !== request.size) throw new DecryptionError();
    await writer.add(plaintext);
    await writer.end();
    meter.report(true);
    await sink.close();
    return result;
  } catch (error) {
    await sink.abort();
    throw error;
  }
}

/**
 * Plaintext frames gathered into batches of BATCH_BYTES, one batch written while the next fills.
 * Two buffers, reused: a fresh multi-megabyte ArrayBuffer per batch costs a page fault per 4 KiB
 * on first touch, which on this kind of VM made copying slower than decrypting.
 */
class BatchWriter {
  private readonly buffers = [new Uint8Array(BATCH_BYTES), new Uint8Array(BATCH_BYTES)];
  private current = 0;
  private filled = 0;
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly sink: PlaintextSink) {}

  async add(plaintext: Bytes[]): Promise<void> {
    for (const p of plaintext) {
      for (let offset = 0; offset < p.length; ) {
        const n = Math.min(p.length - offset, BATCH_BYTES - this.filled);
        this.buffers[this.current].set(p.subarray(offset, offset + n), this.filled);
        this.filled += n;
        offset += n;
        if (this.filled === BATCH_BYTES) await this.flush();
      }
    }
  }

  async end(): Promise<void> {
    await this.flush();
    await this.writing;
  }

  private async flush(): Promise<void> {
    if (this.filled === 0) return;
    // The other buffer's write must be done before this one goes out and the other is refilled.
    await this.writing;
    this.writing = this.sink.write(this.buffers[this.current].subarray(0, this.filled));
    this.writing.catch(() => undefined); // observed by the next flush or end()
    this.current ^= 1;
    this.filled = 0;
  }
}

/** Speed over the last few seconds (an exponential average), reported a few times a second. */
class SpeedMeter {
  private received = 0;
  private rate = 0;
  private lastAt = performance.now();
  private lastReceived = 0;

  constructor(
    private readonly total: number,
    private readonly onProgress: (p: Progress) => void,
  ) {
    onProgress({ received: 0, total, bytesPerSecond: 0 });
  }

  add(bytes: number): void {
    this.received += bytes;
    this.report(false);
  }

  report(force: boolean): void {
    const now = performance.now();
    const elapsed = now - this.lastAt;
    if (!force && elapsed < PROGRESS_EVERY_MS) return;
    if (elapsed > 0) {
      const current = ((this.received - this.lastReceived) * 1000) / elapsed;
      this.rate = this.rate === 0 ? current : this.rate * 0.7 + current * 0.3;
    }
    this.lastAt = now;
    this.lastReceived = this.received;
    const left = Math.max(0, this.total - this.received);
    this.onProgress({ received: this.received, total: this.total, bytesPerSecond: this.rate, secondsLeft: this.rate > 0 ? left / this.rate : undefined });
  }
}
