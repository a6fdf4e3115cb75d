import type { Writable } from 'node:stream';

/**
 * Where everything a command says goes: results on stdout (human text, or one JSON document with
 * `--json`), notices, warnings and debug lines on stderr, so stdout stays machine-readable.
 */
export class Output {
  constructor(
    private readonly stdout: Writable,
    private readonly stderr: Writable,
    readonly json: boolean,
    readonly verbose: boolean,
  ) {}

  /** The command's result: `json` with `--json`, otherwise the human text. */
  result(json: unknown, human: () => string): void {
    if (this.json) {
      this.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
    } else {
      const text = human();
      if (text) this.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
    }
  }

  /** A human message that is not the result (e.g. "check your email"). */
  notice(text: string): void {
    this.stderr.write(`${text}\n`);
  }

  warn(text: string): void {
    this.stderr.write(`coffer: warning: ${text}\n`);
  }

  /** Only with `--verbose`. Never give it secrets. */
  debug(text: string): void {
    if (this.verbose) this.stderr.write(`coffer: ${text}\n`);
  }
}
