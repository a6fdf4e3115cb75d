import type { Bytes } from '../crypto/bytes';
import { BlobDecryptor, type DecryptResult } from '../crypto/decrypt';
import { DecryptionError } from '../crypto/decryption-error';
import { openDownload } from './api';
import type { PlaintextSink } from './sinks';

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

/** Frames decrypt concurrently within one push, so the download is handed over in batches of about this. */
const BATCH_BYTES = 4 * 1024 * 1024;
const PROGRESS_EVERY_MS = 250;

/**
 * The counted download, decrypted frame by frame into the sink as it arrives; nothing is kept in
 * memory beyond one batch. Any failure aborts the sink (no partial file) and is rethrown.
 */
export async function downloadAndDecrypt(request: DownloadRequest): Promise<DecryptResult> {
  const { sink } = request;
  try {
    const res = await openDownload(request.owner, request.fileId, request.signal);
    const total = Number(res.headers.get('Content-Length')) || request.total;
    const decryptor = await BlobDecryptor.create(request.dek, { commitment: request.commitment, sha256: request.sha256 });
    const reader = res.body!.getReader();
    const meter = new SpeedMeter(total, request.onProgress);
    let batch: Uint8Array[] = [];
    let batched = 0;
    const flush = async () => {
      if (batched === 0) return;
      const input = batch.length === 1 ? batch[0] : joined(batch, batched);
      batch = [];
      batched = 0;
      // One write per batch: each write to a file handle is a round trip to the browser process.
      const plaintext = await decryptor.push(input);
      if (plaintext.length > 0) await sink.write(plaintext.length === 1 ? plaintext[0] : joined(plaintext, plaintext.reduce((n, p) => n + p.length, 0)));
    };
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      batch.push(value);
      batched += value.length;
      meter.add(value.length);
      if (batched >= BATCH_BYTES) await flush();
    }
    await flush();
    const { plaintext, result } = await decryptor.finish();
    for (const chunk of plaintext) await sink.write(chunk);
    if (request.size !== undefined && result.plaintextSize !== request.size) throw new DecryptionError();
    meter.report(true);
    await sink.close();
    return result;
  } catch (error) {
    await sink.abort();
    throw error;
  }
}

function joined(parts: Uint8Array[], length: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(length);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
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
