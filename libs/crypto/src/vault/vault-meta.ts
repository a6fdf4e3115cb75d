import { DEFAULT_KDF_PARAMS, newSalt, parseKdfParams, type KdfBounds, type KdfParams } from '../format/kdf';
import { KEY_SIZE } from '../format/keys';
import { VaultError } from './vault-error';

/** What `vault_meta.json` says: how to derive the vault key from the vault password. */
export interface VaultMeta {
  kdf: KdfParams;
  salt: Buffer;
}

interface VaultMetaJson {
  version: 1;
  argon: { time: number; memory: number; threads: number; key_len: number };
  vault_salt: string;
}

/** Argon2 refuses shorter salts. */
const MIN_SALT_SIZE = 8;

export function newVaultMeta(kdf: KdfParams = DEFAULT_KDF_PARAMS): VaultMeta {
  return { kdf, salt: newSalt() };
}

export function serializeVaultMeta({ kdf, salt }: VaultMeta): string {
  const json: VaultMetaJson = {
    version: 1,
    argon: { time: kdf.t, memory: kdf.m, threads: kdf.p, key_len: KEY_SIZE },
    vault_salt: salt.toString('base64'),
  };
  return JSON.stringify(json);
}

export function parseVaultMeta(text: string, bounds?: KdfBounds): VaultMeta {
  let json: Partial<VaultMetaJson>;
  try {
    json = JSON.parse(text) as Partial<VaultMetaJson>;
  } catch {
    throw corrupt('it is not JSON');
  }
  if (json.version !== 1) throw corrupt(`unsupported version ${JSON.stringify(json.version)}`);
  const argon = json.argon;
  if (typeof argon !== 'object' || argon === null) throw corrupt('"argon" is missing');
  if (argon.key_len !== KEY_SIZE) throw corrupt(`key_len must be ${KEY_SIZE}`);
  let kdf: KdfParams;
  try {
    kdf = parseKdfParams({ alg: 'argon2id', m: argon.memory, t: argon.time, p: argon.threads }, bounds);
  } catch (error) {
    throw corrupt((error as Error).message);
  }
  const salt = typeof json.vault_salt === 'string' ? Buffer.from(json.vault_salt, 'base64') : Buffer.alloc(0);
  if (salt.length < MIN_SALT_SIZE) throw corrupt('"vault_salt" is missing or too short');
  return { kdf, salt };
}

function corrupt(reason: string): VaultError {
  return new VaultError('CORRUPT', `vault_meta.json is invalid: ${reason}`);
}
