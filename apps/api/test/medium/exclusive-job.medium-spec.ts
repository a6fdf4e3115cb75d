import { ExclusiveJobRunner } from '../../src/database/exclusive-job';
import { describeWithPostgres, useMediumDatabase } from '../../../../test/helpers/medium-database';

describeWithPostgres('ExclusiveJobRunner on PostgreSQL', () => {
  const db = useMediumDatabase();

  function gate() {
    let open!: () => void;
    const opened = new Promise<void>((resolve) => (open = resolve));
    return { open, opened };
  }

  it('runs a job on one instance at a time, without a transaction left idle meanwhile, and frees the lock after', async () => {
    const first = new ExclusiveJobRunner(db.database);
    const second = new ExclusiveJobRunner(db.database);
    const started = gate();
    const finish = gate();
    const running = first.run('medium.exclusive', async () => {
      started.open();
      await finish.opened;
    });
    await started.opened;

    const other = jest.fn(async () => undefined);
    expect(await second.run('medium.exclusive', other)).toBe(false);
    expect(other).not.toHaveBeenCalled();
    expect(await second.run('medium.another-job', other)).toBe(true);
    const idle = await db.prisma.$queryRaw<{ n: number }[]>`
      SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND state LIKE 'idle in transaction%'`;
    expect(idle[0].n).toBe(0);

    finish.open();
    expect(await running).toBe(true);
    expect(await second.run('medium.exclusive', other)).toBe(true);
  });

  it('releases the lock when the job fails, and reports the failure as false', async () => {
    const runner = new ExclusiveJobRunner(db.database);
    expect(await runner.run('medium.failing', async () => Promise.reject(new Error('storage down')))).toBe(false);
    const next = jest.fn(async () => undefined);
    expect(await new ExclusiveJobRunner(db.database).run('medium.failing', next)).toBe(true);
    expect(next).toHaveBeenCalledTimes(1);
  });

  it('on shutdown waits for the running job, which frees its lock, and starts no new one', async () => {
    const runner = new ExclusiveJobRunner(db.database);
    const outcomes: string[] = [];
    runner.observe((name, outcome) => outcomes.push(`${name} ${outcome}`));
    const started = gate();
    const finish = gate();
    const running = runner.run('medium.draining', async () => {
      started.open();
      await finish.opened;
    });
    await started.opened;

    let drained = false;
    const drain = runner.drain(60_000).then((result) => ((drained = true), result));
    const late = jest.fn(async () => undefined);
    expect(await runner.run('medium.late', late)).toBe(false);
    expect(late).not.toHaveBeenCalled();
    await new Promise((resolve) => setImmediate(resolve));
    expect(drained).toBe(false);

    finish.open();
    expect(await drain).toEqual({ unfinished: 0 });
    expect(await running).toBe(true);
    expect(outcomes).toEqual(['medium.late skipped', 'medium.draining ok']);
    expect(await new ExclusiveJobRunner(db.database).run('medium.draining', async () => undefined)).toBe(true);
  });

  it('stops waiting for a job that outlives the shutdown bound, reporting it unfinished', async () => {
    const runner = new ExclusiveJobRunner(db.database);
    const finish = gate();
    const running = runner.run('medium.too-long', () => finish.opened);
    expect(await runner.drain(50)).toEqual({ unfinished: 1 });
    finish.open();
    expect(await running).toBe(true);
  });
});
