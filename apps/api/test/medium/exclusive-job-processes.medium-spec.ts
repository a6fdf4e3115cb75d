import { ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import path from 'node:path';
import { everySeconds, ExclusiveJobRunner } from '../../src/database/exclusive-job';
import { describeWithPostgres, useMediumDatabase } from '../../../../test/helpers/medium-database';

const DIST = path.join(__dirname, '../../dist/database');

/**
 * Another server process, reduced to its job runner (the built one, from dist): it starts job
 * `name` on `url`'s database, says "running" and never finishes it.
 */
function holderProcess(url: string, name: string): ChildProcessWithoutNullStreams {
  const script = `
    const { ExclusiveJobRunner } = require(${JSON.stringify(path.join(DIST, 'exclusive-job.js'))});
    const { tryAdvisoryLock } = require(${JSON.stringify(path.join(DIST, 'advisory-lock.js'))});
    const runner = new ExclusiveJobRunner({ tryExclusiveLock: (key) => tryAdvisoryLock(process.env.URL, key) });
    runner.run(process.env.JOB, () => { console.log('running'); return new Promise(() => {}); });
    setInterval(() => {}, 60000);
  `;
  return spawn(process.execPath, ['-e', script], { env: { PATH: process.env.PATH ?? '', URL: url, JOB: name } });
}

function saysRunning(child: ChildProcessWithoutNullStreams): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
      if (output.includes('running')) resolve();
    });
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.once('exit', (code) => reject(new Error(`holder exited with ${code}: ${output}`)));
  });
}

describeWithPostgres('ExclusiveJobRunner across server processes', () => {
  const db = useMediumDatabase();
  let holder: ChildProcessWithoutNullStreams | undefined;

  afterEach(() => {
    if (holder && holder.exitCode === null && holder.signalCode === null) holder.kill('SIGKILL');
  });

  it('skips a job another process is running, and runs it once that process is killed (-9) and its session gone', async () => {
    holder = holderProcess(db.config().databaseUrl!, 'medium.cross-process');
    await saysRunning(holder);

    const job = jest.fn(async () => undefined);
    const here = new ExclusiveJobRunner(db.database);
    expect(await here.run('medium.cross-process', job)).toBe(false);
    expect(job).not.toHaveBeenCalled();
    expect(await here.run('medium.other-job', job)).toBe(true);
    expect(job).toHaveBeenCalledTimes(1);

    const exited = new Promise((resolve) => holder!.once('exit', resolve));
    holder.kill('SIGKILL');
    await exited;
    // PostgreSQL ends the dead client's session (and its lock) when it sees the socket closed.
    let ran = false;
    for (let i = 0; i < 100 && !ran; i++) {
      ran = await here.run('medium.cross-process', job);
      if (!ran) await new Promise((r) => setTimeout(r, 100));
    }
    expect(ran).toBe(true);
    expect(job).toHaveBeenCalledTimes(2);
  });

  it('runs a scheduled job once per period across instances, even when their crons fire one after the other', async () => {
    const [one, two] = [new ExclusiveJobRunner(db.database), new ExclusiveJobRunner(db.database)];
    const job = jest.fn(async () => undefined);

    expect(await one.run('medium.scheduled', job, everySeconds(600))).toBe(true);
    // The lock is free again: only the claimed run keeps the second instance from repeating it.
    expect(await two.run('medium.scheduled', job, everySeconds(600))).toBe(false);
    expect(job).toHaveBeenCalledTimes(1);
    // Run by hand (no schedule), a job is not held to the period.
    expect(await two.run('medium.scheduled', job)).toBe(true);

    // Half a period later (by the database's clock), the next scheduled run is due.
    await db.prisma.$executeRaw`UPDATE job_runs SET started_at = started_at - interval '301 seconds' WHERE name = 'medium.scheduled'`;
    expect(await two.run('medium.scheduled', job, everySeconds(600))).toBe(true);
    expect(await one.run('medium.scheduled', job, everySeconds(600))).toBe(false);
    expect(job).toHaveBeenCalledTimes(3);
  });
});
