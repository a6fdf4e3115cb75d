import { createInterface } from 'node:readline';
import type { Io } from './context';
import { CliError, EXIT_INTERRUPTED } from './errors';

export { EXIT_INTERRUPTED };

/** Reads one line from the terminal with echo (e-mail address, code). */
export function promptLine(io: Io, question: string): Promise<string> {
  const rl = createInterface({ input: io.stdin, output: io.stderr, terminal: true });
  return new Promise<string>((resolve, reject) => {
    rl.once('SIGINT', () => {
      rl.close();
      io.stderr.write('\n');
      reject(new CliError('cancelled', undefined, EXIT_INTERRUPTED));
    });
    rl.question(question, (answer) => {
      rl.close();
      resolve(answer.trim());
    });
  });
}

/**
 * Reads a secret from the terminal without echo: stdin in raw mode, nothing written back but the
 * final newline. Ctrl-C cancels, backspace edits, Enter (or Ctrl-D) ends.
 */
export function promptHidden(io: Io, question: string): Promise<string> {
  const { stdin, stderr } = io;
  if (typeof stdin.setRawMode !== 'function') return promptLine(io, question);
  stderr.write(question);
  stdin.setRawMode(true);
  stdin.setEncoding('utf8');
  stdin.resume();
  return new Promise<string>((resolve, reject) => {
    let secret = '';
    const finish = (error?: CliError) => {
      stdin.removeListener('data', onData);
      stdin.setRawMode?.(false);
      stdin.pause();
      stderr.write('\n');
      if (error) reject(error);
      else resolve(secret);
    };
    const onData = (chunk: string | Buffer) => {
      for (const ch of String(chunk)) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') return finish();
        if (ch === '\u0003') return finish(new CliError('cancelled', undefined, EXIT_INTERRUPTED));
        if (ch === '\u007f' || ch === '\b') secret = [...secret].slice(0, -1).join('');
        else if (ch >= ' ') secret += ch;
      }
    };
    stdin.on('data', onData);
  });
}
