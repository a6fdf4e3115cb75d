import { ManualClock } from '../../../../../test/helpers/manual-clock';
import { describeFailure, DOWN_REPEAT_MS, ReadinessLog } from './readiness-log';

function setup() {
  const clock = new ManualClock(new Date('2026-12-05T12:00:00Z'));
  const logger = { warn: jest.fn<void, [string]>(), log: jest.fn<void, [string]>() };
  return { clock, logger, log: new ReadinessLog(logger, clock) };
}

describe('ReadinessLog', () => {
  it('says why a dependency is down the first time a probe fails', () => {
    const { logger, log } = setup();
    log.report('database', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }));
    expect(logger.warn.mock.calls).toEqual([['readyz: database is down: connect ECONNREFUSED 127.0.0.1:5432']]);
  });

  it('logs nothing while everything answers', () => {
    const { logger, log } = setup();
    for (let i = 0; i < 5; i++) log.report('storage', undefined);
    expect(logger.warn).not.toHaveBeenCalled();
    expect(logger.log).not.toHaveBeenCalled();
  });

  it('writes one line a minute, not one per probe, while it stays down, counting the probes in between', () => {
    const { clock, logger, log } = setup();
    for (let second = 0; second < 150; second++) {
      log.report('storage', new Error(second < 100 ? 'socket hang up' : 'getaddrinfo ENOTFOUND s3.example'));
      clock.advance(1);
    }
    expect(logger.warn.mock.calls.map(([line]) => line)).toEqual([
      'readyz: storage is down: socket hang up',
      `readyz: storage is down: socket hang up (${DOWN_REPEAT_MS / 1000 - 1} more failed probes since the last line)`,
      `readyz: storage is down: getaddrinfo ENOTFOUND s3.example (${DOWN_REPEAT_MS / 1000 - 1} more failed probes since the last line)`,
    ]);
  });

  it('keeps each dependency apart and reports a recovery once', () => {
    const { logger, log } = setup();
    log.report('database', new Error('timeout'));
    log.report('storage', new Error('timeout'));
    log.report('database', undefined);
    log.report('database', undefined);
    log.report('storage', new Error('timeout'));
    expect(logger.warn).toHaveBeenCalledTimes(2);
    expect(logger.log.mock.calls).toEqual([['readyz: database answers again']]);
    log.report('database', new Error('back down'));
    expect(logger.warn).toHaveBeenLastCalledWith('readyz: database is down: back down');
  });
});

describe('describeFailure', () => {
  it('blanks the credentials of a URL in the message', () => {
    expect(describeFailure(new Error('cannot reach postgresql://coffer:s3cret@db:5432/coffer'))).toBe('cannot reach postgresql://***@db:5432/coffer');
  });

  it('skips the line of a Prisma error that only names the call, and adds a code the message lacks', () => {
    const err = Object.assign(new Error('\nInvalid `prisma.$queryRaw()` invocation:\n\n\nCan\'t reach database server at `db:5432`\nmore'), { code: 'P1001' });
    expect(describeFailure(err)).toBe("Can't reach database server at `db:5432` (P1001)");
  });

  it('reads errors without a message: an AggregateError of connection attempts, a bare code, a string', () => {
    expect(describeFailure(Object.assign(new AggregateError([new Error('connect ECONNREFUSED ::1:5432'), new Error('connect ECONNREFUSED 127.0.0.1:5432')], ''), { code: 'ECONNREFUSED' }))).toBe(
      'connect ECONNREFUSED ::1:5432; connect ECONNREFUSED 127.0.0.1:5432',
    );
    expect(describeFailure({ code: 'NoSuchBucket' })).toBe('NoSuchBucket');
    expect(describeFailure('plain')).toBe('plain');
  });

  it('keeps a long message to 300 characters', () => {
    expect(describeFailure(new Error('x'.repeat(1000)))).toHaveLength(300);
  });
});
