/** The owner page's speed and time left of an upload (apps/web/src/owner/transfer-rate.ts). */
import { TransferRate } from '../src/owner/transfer-rate';

describe('TransferRate', () => {
  it('tells nothing before enough time has passed, then the speed over the window and the time left at it', () => {
    let now = 0;
    const rate = new TransferRate(() => now);
    expect(rate.update(0, 100_000_000)).toEqual({});
    now = 500;
    expect(rate.update(5_000_000, 100_000_000)).toEqual({});
    now = 1_000;
    expect(rate.update(10_000_000, 100_000_000)).toEqual({ bytesPerSecond: 10_000_000, secondsLeft: 9 });
  });

  it('follows a change of speed: samples older than the window are dropped', () => {
    let now = 0;
    const rate = new TransferRate(() => now);
    for (; now <= 10_000; now += 1_000) rate.update(now * 10_000, 1e9); // 10 MB/s for 10 s
    let reading = rate.update(100_000_000, 1e9);
    for (let done = 100_000_000; now <= 20_000; now += 1_000) reading = rate.update((done += 1_000_000), 1e9); // then 1 MB/s
    expect(reading.bytesPerSecond).toBeCloseTo(1_000_000, -3);
  });

  it('has no time left to tell while nothing moves', () => {
    let now = 0;
    const rate = new TransferRate(() => now);
    rate.update(10, 100);
    now = 2_000;
    expect(rate.update(10, 100)).toEqual({ bytesPerSecond: 0, secondsLeft: undefined });
  });
});
