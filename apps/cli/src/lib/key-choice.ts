import { UsageError } from './errors';

/** How `coffer decrypt` gets the file key, from its options. */
export type KeyChoice =
  | { kind: 'key'; key: Buffer; source: string }
  | { kind: 'vault' }
  | { kind: 'passphrase'; file?: string; stdin?: boolean }
  /** Nothing chosen: decided by the file's mode (vault or passphrase) once its metadata is known. */
  | { kind: 'auto' };

export interface KeyOptions {
  key?: string;
  vault?: boolean;
  passphraseFile?: string;
  passphraseStdin?: boolean;
  /** `--passphrase`: passphrase mode, passphrase from COFFER_PASSPHRASE or a prompt. */
  passphrase?: boolean;
}

/** Validates the key options (at most one) and parses `--key`, or `COFFER_KEY` when no option is given. */
export function chooseKey(options: KeyOptions, env: NodeJS.ProcessEnv): KeyChoice {
  const given = [
    options.key !== undefined && '--key',
    options.vault === true && '--vault',
    options.passphraseFile !== undefined && '--passphrase-file',
    options.passphraseStdin === true && '--passphrase-stdin',
    options.passphrase === true && '--passphrase',
  ].filter((x): x is string => typeof x === 'string');
  if (given.length > 1) throw new UsageError(`${given.join(' and ')} cannot be used together`, 'Choose one way to give the key.');
  if (options.key !== undefined) return { kind: 'key', key: parseDek(options.key, '--key'), source: '--key' };
  if (options.vault) return { kind: 'vault' };
  if (options.passphraseFile !== undefined || options.passphraseStdin || options.passphrase) {
    return { kind: 'passphrase', file: options.passphraseFile, stdin: options.passphraseStdin };
  }
  const fromEnv = env.COFFER_KEY?.trim();
  if (fromEnv) return { kind: 'key', key: parseDek(fromEnv, 'COFFER_KEY'), source: 'COFFER_KEY' };
  return { kind: 'auto' };
}

/** A file key as shared: 32 bytes in standard (or URL-safe) base64. */
export function parseDek(text: string, source: string): Buffer {
  const trimmed = text.trim();
  const key = /^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed) ? Buffer.from(trimmed.replace(/-/g, '+').replace(/_/g, '/'), 'base64') : undefined;
  if (!key || key.length !== 32) {
    throw new UsageError(`the key from ${source} is not a base64 32-byte key`, 'Use the key exactly as `coffer share` printed it.');
  }
  return key;
}
