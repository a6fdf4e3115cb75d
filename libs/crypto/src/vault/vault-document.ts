import { randomBytes, type KeyObject } from 'node:crypto';
import { gcmOpen, gcmSeal } from '../format/aes-gcm';
import { NONCE_SIZE } from '../format/blob';
import { VaultError } from './vault-error';

/**
 * The decrypted content of `vault.enc`: {"version":1,"entries":{"<file id>":"<base64 DEK>"}}, plus
 * Coffer's optional "commitments" map (file id to base64 key commitment). Other top-level fields,
 * written by another client, are kept as they are.
 */
export interface VaultDocument {
  entries: Map<string, string>;
  commitments: Map<string, string>;
  otherFields: Record<string, unknown>;
}

export function emptyVaultDocument(): VaultDocument {
  return { entries: new Map(), commitments: new Map(), otherFields: {} };
}

/** `vault.enc` = nonce(12) || AES-256-GCM(JSON) with the tag appended, as Hashdrop writes it. */
export function sealVaultDocument(key: KeyObject, document: VaultDocument): Buffer {
  const json = JSON.stringify({
    version: 1,
    entries: Object.fromEntries(document.entries),
    ...(document.commitments.size > 0 && { commitments: Object.fromEntries(document.commitments) }),
    ...document.otherFields,
  });
  const nonce = randomBytes(NONCE_SIZE);
  const { ciphertext, tag } = gcmSeal(key, nonce, Buffer.from(json, 'utf8'));
  return Buffer.concat([nonce, ciphertext, tag]);
}

export function openVaultDocument(key: KeyObject, sealed: Buffer): VaultDocument {
  let json: string;
  try {
    json = gcmOpen(key, sealed.subarray(0, NONCE_SIZE), sealed.subarray(NONCE_SIZE)).toString('utf8');
  } catch {
    throw new VaultError('WRONG_PASSWORD', 'cannot open the vault: wrong vault password (or vault.enc is damaged)');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw corrupt('it does not hold JSON');
  }
  if (!isRecord(parsed)) throw corrupt('it does not hold a JSON object');
  const { version, entries, commitments = {}, ...otherFields } = parsed;
  if (version !== 1) throw corrupt(`unsupported version ${JSON.stringify(version)}`);
  return {
    entries: stringMap(entries, 'entries'),
    commitments: stringMap(commitments, 'commitments'),
    otherFields,
  };
}

function stringMap(value: unknown, name: string): Map<string, string> {
  if (!isRecord(value)) throw corrupt(`"${name}" is not an object`);
  const map = new Map<string, string>();
  for (const [id, item] of Object.entries(value)) {
    if (typeof item !== 'string') throw corrupt(`"${name}" of ${id} is not a string`);
    map.set(id, item);
  }
  return map;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function corrupt(reason: string): VaultError {
  return new VaultError('CORRUPT', `vault.enc is invalid: ${reason}`);
}
