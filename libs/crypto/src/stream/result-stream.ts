/**
 * A single-use byte stream whose `result` settles once the stream has been read to its end.
 * `result` rejects when the stream fails or is closed early; a failure is sticky: every later
 * `next()` throws the same error again.
 */
export interface ResultStream<R> extends AsyncIterable<Uint8Array> {
  readonly result: Promise<R>;
}

/** `produce` yields the bytes and calls `settle` with the result before it finishes. */
export function resultStream<R>(
  produce: (settle: (result: R) => void) => AsyncGenerator<Uint8Array, void, undefined>,
): ResultStream<R> {
  return new SingleUseStream(produce);
}

class SingleUseStream<R> implements ResultStream<R>, AsyncIterator<Uint8Array, undefined> {
  readonly result: Promise<R>;
  private readonly generator: AsyncGenerator<Uint8Array, void, undefined>;
  private resolveResult!: (result: R) => void;
  private rejectResult!: (error: unknown) => void;
  private started = false;
  private failure: { error: unknown } | undefined;

  constructor(produce: (settle: (result: R) => void) => AsyncGenerator<Uint8Array, void, undefined>) {
    this.result = new Promise<R>((resolve, reject) => {
      this.resolveResult = resolve;
      this.rejectResult = reject;
    });
    // A caller that only iterates (and sees the error there) must not get an unhandled rejection.
    this.result.catch(() => undefined);
    this.generator = produce((result) => this.resolveResult(result));
  }

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array, undefined> {
    if (this.started) throw new Error('this stream can be read only once');
    this.started = true;
    return this;
  }

  async next(): Promise<IteratorResult<Uint8Array, undefined>> {
    if (this.failure) throw this.failure.error;
    try {
      const step = await this.generator.next();
      return step.done ? { done: true, value: undefined } : step;
    } catch (error) {
      this.failure = { error };
      this.rejectResult(error);
      throw error;
    }
  }

  async return(): Promise<IteratorResult<Uint8Array, undefined>> {
    await this.generator.return(undefined);
    this.rejectResult(new Error('the stream was closed before its end'));
    return { done: true, value: undefined };
  }
}
