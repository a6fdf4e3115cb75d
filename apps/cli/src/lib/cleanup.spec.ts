import { onInterrupt, runInterruptCleanups, wasInterrupted } from './cleanup';

describe('interrupt clean-ups', () => {
  it('runs synchronous ones at once and awaits asynchronous ones, each once, failures ignored', async () => {
    const order: string[] = [];
    onInterrupt(() => {
      order.push('sync');
    });
    onInterrupt(async () => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      order.push('async');
    });
    onInterrupt(() => {
      throw new Error('ignored');
    });
    const forgotten = onInterrupt(() => {
      order.push('forgotten');
    });
    forgotten();
    const running = runInterruptCleanups();
    expect(order).toEqual(['sync']);
    await running;
    expect(order).toEqual(['sync', 'async']);
    expect(wasInterrupted()).toBe(true);
    await runInterruptCleanups();
    expect(order).toEqual(['sync', 'async']);
  });

  it('does not wait longer than its limit for a clean-up that hangs', async () => {
    onInterrupt(() => new Promise(() => undefined));
    const started = Date.now();
    await runInterruptCleanups(50);
    expect(Date.now() - started).toBeLessThan(2000);
  });
});
