/** How long a window the speed is measured over: steady enough to read, recent enough to follow a change. */
const WINDOW_MS = 5_000;
/** No speed is shown before this much of the window has passed: the first progress events are bursts into buffers. */
const MIN_SPAN_MS = 750;

export interface RateReading {
  /** Bytes per second over the last few seconds; undefined until it can be told. */
  bytesPerSecond?: number;
  /** Seconds left at that speed. */
  secondsLeft?: number;
}

/** Speed and time left of one transfer, from the progress it reports. */
export class TransferRate {
  private samples: Array<{ at: number; done: number }> = [];

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** Records that `done` of `total` bytes are through, and reads the speed and time left. */
  update(done: number, total: number): RateReading {
    const at = this.now();
    this.samples.push({ at, done });
    while (this.samples.length > 2 && at - this.samples[1].at >= WINDOW_MS) this.samples.shift();
    const first = this.samples[0];
    const span = at - first.at;
    if (span < MIN_SPAN_MS) return {};
    const bytesPerSecond = Math.max(0, ((done - first.done) * 1000) / span);
    return { bytesPerSecond, secondsLeft: bytesPerSecond > 0 ? Math.max(0, total - done) / bytesPerSecond : undefined };
  }
}
