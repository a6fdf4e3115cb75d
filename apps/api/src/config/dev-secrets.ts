import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError, Secrets } from './app-config';

/**
 * Development and test servers get their secrets generated once and kept under DATA_DIR, so
 * tokens and share links survive a restart without any setup.
 */
export function loadOrCreateDevSecrets(file: string): Secrets {
  try {
    return parse(fs.readFileSync(file, 'utf8'), file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const secrets: Secrets = {
    jwt: fresh(),
    userIdHash: fresh(),
    otp: fresh(),
    refreshToken: fresh(),
  };
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    fs.writeFileSync(file, JSON.stringify(secrets, null, 2) + '\n', { mode: 0o600, flag: 'wx' });
  } catch (err) {
    // Another process created it first: use theirs so both agree.
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return parse(fs.readFileSync(file, 'utf8'), file);
    throw new ConfigError(`cannot write generated secrets to ${file}: ${(err as Error).message}`);
  }
  return secrets;
}

function fresh(): string {
  return randomBytes(32).toString('base64url');
}

function parse(text: string, file: string): Secrets {
  let value: Partial<Secrets>;
  try {
    value = JSON.parse(text) as Partial<Secrets>;
  } catch {
    throw new ConfigError(`${file} is not valid JSON; delete it to generate new development secrets`);
  }
  for (const key of ['jwt', 'userIdHash', 'otp', 'refreshToken'] as const) {
    if (typeof value[key] !== 'string' || value[key].length < 32) {
      throw new ConfigError(`${file} is damaged (${key} missing); delete it to generate new development secrets`);
    }
  }
  return value as Secrets;
}
