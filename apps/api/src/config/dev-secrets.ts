import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError, Secrets } from './app-config';

/** What the development secrets file holds: the server secrets and the admin token of `DELETE /admin/reset`. */
export interface DevSecrets extends Secrets {
  adminToken: string;
}

const SECRET_KEYS = ['jwt', 'userIdHash', 'otp', 'refreshToken'] as const;

/**
 * Development and test servers get their secrets generated once and kept under DATA_DIR, so
 * tokens and share links survive a restart without any setup.
 */
export function loadOrCreateDevSecrets(file: string): DevSecrets {
  try {
    return withAdminToken(parse(fs.readFileSync(file, 'utf8'), file), file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const secrets: DevSecrets = {
    jwt: fresh(),
    userIdHash: fresh(),
    otp: fresh(),
    refreshToken: fresh(),
    adminToken: fresh(),
  };
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    fs.writeFileSync(file, serialize(secrets), { mode: 0o600, flag: 'wx' });
  } catch (err) {
    // Another process created it first: use theirs so both agree.
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return withAdminToken(parse(fs.readFileSync(file, 'utf8'), file), file);
    throw new ConfigError(`cannot write generated secrets to ${file}: ${(err as Error).message}`);
  }
  return secrets;
}

/** A file written before the admin token existed gets one added; its other secrets stay. */
function withAdminToken(secrets: Secrets & { adminToken?: string }, file: string): DevSecrets {
  if (secrets.adminToken !== undefined) return secrets as DevSecrets;
  const upgraded: DevSecrets = { ...secrets, adminToken: fresh() };
  const temporary = `${file}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(temporary, serialize(upgraded), { mode: 0o600 });
    fs.renameSync(temporary, file);
  } catch (err) {
    throw new ConfigError(`cannot add an admin token to ${file}: ${(err as Error).message}`);
  }
  return upgraded;
}

function fresh(): string {
  return randomBytes(32).toString('base64url');
}

function serialize(secrets: DevSecrets): string {
  return JSON.stringify(secrets, null, 2) + '\n';
}

function parse(text: string, file: string): Secrets & { adminToken?: string } {
  let value: Partial<DevSecrets>;
  try {
    value = JSON.parse(text) as Partial<DevSecrets>;
  } catch {
    throw new ConfigError(`${file} is not valid JSON; delete it to generate new development secrets`);
  }
  for (const key of SECRET_KEYS) {
    if (typeof value[key] !== 'string' || value[key].length < 32) {
      throw new ConfigError(`${file} is damaged (${key} missing); delete it to generate new development secrets`);
    }
  }
  if (value.adminToken !== undefined && (typeof value.adminToken !== 'string' || value.adminToken.length < 32)) {
    throw new ConfigError(`${file} is damaged (adminToken shorter than 32 characters); delete it to generate new development secrets`);
  }
  return value as Secrets & { adminToken?: string };
}
