import { createHash } from 'node:crypto';
import { read } from 'node:fs';
import { promisify } from 'node:util';
import type { BlobPart } from '@coffer/crypto';

const readAt = promisify(read);
const BLOCK = 1024 * 1024;

/** The source no longer holds the bytes a part's nonces are bound to (or ended early). */
export class SourceChanged extends Error {
  override readonly name = 'SourceChanged';
  constructor(
    message: string,
    /** Found while checking parts bound in an earlier run (nothing new was sent for them). */
    readonly whileVerifying: boolean,
  ) {
    super(message);
  }
}

interface Gate {
  promise: Promise<void>;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * The one sequential pass over the source: the whole plaintext's SHA-256 (for complete) and each
 * part's own SHA-256, which binds the part's nonces to its bytes. A part is handed to the senders
 * only after this pass has hashed it and its hash is on disk (`bind`): a part bound in an earlier
 * run must hash the same (else SourceChanged), so a part is only ever encrypted again over the very
 * same bytes. It runs at most `window` unsent parts ahead, so the sending reads still hit the cache.
 */
export class SourceHasher {
  private readonly gates = new Map<number, Gate>();
  private unsentAhead = 0;
  private wakeUp: (() => void) | undefined;
  private stopped = false;

  constructor(
    private readonly fd: number,
    private readonly parts: BlobPart[],
    /** The hash bound earlier to a part, if any. */
    private readonly boundHash: (partNumber: number) => string | undefined,
    /** Whether storage already holds the part as confirmed (it will not be sent). */
    private readonly isConfirmed: (partNumber: number) => boolean,
    /** Records a part's hash (resolves once on disk). */
    private readonly bind: (partNumber: number, sha256: string) => Promise<void>,
    private readonly window: number,
  ) {
    for (const part of parts) {
      let gate!: Gate;
      const promise = new Promise<void>((resolve, reject) => (gate = { promise: undefined as never, resolve, reject }));
      promise.catch(() => undefined);
      gate.promise = promise;
      this.gates.set(part.partNumber, gate);
    }
  }

  /** Resolves once part `partNumber` may be sent. */
  hashed(partNumber: number): Promise<void> {
    return this.gates.get(partNumber)!.promise;
  }

  /** A sender took a hashed part: the pass may move on. */
  claimed(): void {
    this.unsentAhead--;
    this.wakeUp?.();
  }

  stop(): void {
    this.stopped = true;
    this.wakeUp?.();
  }

  /** Hashes the whole source; resolves to its SHA-256. Every gate is settled when it returns. */
  async run(): Promise<string> {
    const whole = createHash('sha256');
    const buffer = Buffer.allocUnsafe(BLOCK);
    try {
      for (const part of this.parts) {
        const bound = this.boundHash(part.partNumber);
        const sending = !this.isConfirmed(part.partNumber);
        while (sending && this.unsentAhead >= this.window && !this.stopped) await new Promise<void>((resolve) => (this.wakeUp = resolve));
        if (this.stopped) throw new Error('the upload stopped');
        const hash = createHash('sha256');
        for (let done = 0; done < part.size; ) {
          const wanted = Math.min(BLOCK, part.size - done);
          const { bytesRead } = await readAt(this.fd, buffer, 0, wanted, part.offset + done);
          if (bytesRead === 0) throw new SourceChanged('the file is shorter than when the upload started', bound !== undefined);
          const bytes = buffer.subarray(0, bytesRead);
          hash.update(bytes);
          whole.update(bytes);
          done += bytesRead;
        }
        const sha256 = hash.digest('hex');
        if (bound !== undefined && bound !== sha256) {
          throw new SourceChanged(`part ${part.partNumber} of the file is not what was uploaded before`, true);
        }
        if (this.stopped) throw new Error('the upload stopped');
        if (bound === undefined) await this.bind(part.partNumber, sha256);
        if (sending) this.unsentAhead++;
        this.gates.get(part.partNumber)!.resolve();
      }
      return whole.digest('hex');
    } catch (error) {
      for (const gate of this.gates.values()) gate.reject(error);
      throw error;
    }
  }
}
