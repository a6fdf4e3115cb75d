import { PassThrough, Readable } from 'node:stream';
import { Context, type GlobalOptions, type Io } from '../src/lib/context';

/** In-memory streams for unit tests: what was written, and a stdin with fixed content. */
export function memoryIo(stdinText = '', tty = false): Io & { stdoutText(): string; stderrText(): string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on('data', (c: Buffer) => out.push(c));
  stderr.on('data', (c: Buffer) => err.push(c));
  const stdin = Object.assign(Readable.from([Buffer.from(stdinText)]), { isTTY: tty });
  return {
    stdin,
    stdout,
    stderr,
    stdoutText: () => Buffer.concat(out).toString('utf8'),
    stderrText: () => Buffer.concat(err).toString('utf8'),
  };
}

export function testContext(env: NodeJS.ProcessEnv = {}, globals: GlobalOptions = {}, io: Io = memoryIo()): Context {
  return new Context(globals, { COFFER_HOME: '/nonexistent/coffer-test-home', ...env }, io);
}
