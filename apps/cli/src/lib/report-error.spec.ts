import { CommanderError } from 'commander';
import { CliError, UsageError } from './errors';
import { describeError, ReportedFailure } from './report-error';

describe('describeError', () => {
  it('prints "coffer: <what failed>" and the hint, exit 1', () => {
    expect(describeError(new CliError('upload of a failed: x', 'Do y.'), false)).toEqual({ text: 'coffer: upload of a failed: x\nDo y.\n', exitCode: 1 });
  });

  it('gives usage errors exit code 2', () => {
    expect(describeError(new UsageError('bad option'), false).exitCode).toBe(2);
  });

  it('reformats commander parse errors, exit 2', () => {
    const { text, exitCode } = describeError(new CommanderError(1, 'commander.unknownOption', "error: unknown option '--x'"), false);
    expect(text.split('\n')[0]).toBe("coffer: unknown option '--x'");
    expect(exitCode).toBe(2);
  });

  it('stays quiet for help and version', () => {
    expect(describeError(new CommanderError(0, 'commander.helpDisplayed', '(outputHelp)'), false)).toEqual({ text: '', exitCode: 0 });
  });

  it('stays quiet for failures already reported', () => {
    expect(describeError(new ReportedFailure(), false)).toEqual({ text: '', exitCode: 1 });
  });

  it('shows unexpected errors with a stack only when verbose', () => {
    const error = new Error('boom');
    expect(describeError(error, false).text).toBe('coffer: unexpected error: boom\nRun with --verbose for details; if it persists, please report it.\n');
    expect(describeError(error, true).text).toContain('at ');
  });

  it('shows the cause when verbose', () => {
    const error = new CliError('x failed', 'hint', 1, { cause: Object.assign(new Error('socket'), { code: 'ECONNRESET' }) });
    expect(describeError(error, true).text).toContain('cause: Error: socket (ECONNRESET)');
  });
});
