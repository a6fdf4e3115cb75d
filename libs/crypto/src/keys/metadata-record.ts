import { randomBytes } from 'node:crypto';
import { DecryptionError } from '../format/decryption-error';
import { assertKeySize } from '../format/keys';
import { aeadOpen, aeadSeal, GCM_NONCE_SIZE, GCM_TAG_SIZE, hkdf32, label } from './aead';
import { decodeBase64, idBytes } from './encoding';

/** What the encrypted metadata record holds instead of the server's plain fields. */
export interface FileMetadata {
  name: string;
  media_type: string;
  /** SHA-256 of the plaintext, lowercase hex. */
  sha256: string;
  /** Plaintext size in bytes. */
  size: number;
}

const RECORD_VERSION = 0x01;
const METADATA_LABEL = 'coffer/v1/metadata';
/** The padded JSON is a multiple of this, so the record's length says little about the name's. */
export const METADATA_PADDING = 64;
export const MAX_RECORD_CHARS = 4096;
const OVERHEAD = 1 + GCM_NONCE_SIZE + GCM_TAG_SIZE;
/** The largest padded JSON whose record still fits in MAX_RECORD_CHARS base64 characters (3008 bytes). */
export const MAX_METADATA_JSON =
  Math.floor(((MAX_RECORD_CHARS / 4) * 3 - OVERHEAD) / METADATA_PADDING) * METADATA_PADDING;

/** Encrypts the record under a key derived from the DEK; base64 of 0x01 || nonce || ciphertext || tag. */
export function encryptMetadata(meta: FileMetadata, dek: Uint8Array, fileId: string): string {
  return encryptMetadataUsing(meta, dek, fileId, randomBytes(GCM_NONCE_SIZE));
}

/** `encryptMetadata` with its nonce given (test vectors). */
export function encryptMetadataUsing(meta: FileMetadata, dek: Uint8Array, fileId: string, nonce: Uint8Array): string {
  const file = idBytes(fileId, 'file id');
  if (nonce.length !== GCM_NONCE_SIZE) throw new RangeError('nonce must be 12 bytes');
  const checked = validMetadata(meta);
  if (checked === undefined) throw new RangeError('metadata needs a non-empty name, a media type, a lowercase hex SHA-256 and a size in bytes');
  const json = Buffer.from(JSON.stringify(checked), 'utf8');
  const padded = Buffer.alloc(Math.max(1, Math.ceil(json.length / METADATA_PADDING)) * METADATA_PADDING, 0x20);
  json.copy(padded);
  if (padded.length > MAX_METADATA_JSON) throw new RangeError(`metadata must fit in ${MAX_METADATA_JSON} bytes of JSON (the name is too long)`);
  const body = aeadSeal(metadataKey(dek), nonce, padded, metadataAad(file));
  return Buffer.concat([Buffer.of(RECORD_VERSION), nonce, body]).toString('base64');
}

/** Decrypts and validates a record; every failure (wrong key, other file, any change, bad fields) is one DecryptionError. */
export function decryptMetadata(record: string, dek: Uint8Array, fileId: string): FileMetadata {
  const file = idBytes(fileId, 'file id');
  const key = metadataKey(dek);
  const bytes = typeof record === 'string' && record.length <= MAX_RECORD_CHARS ? decodeBase64(record) : undefined;
  if (bytes === undefined || bytes.length < OVERHEAD || bytes[0] !== RECORD_VERSION) throw new DecryptionError();
  const plaintext = aeadOpen(key, bytes.subarray(1, 1 + GCM_NONCE_SIZE), bytes.subarray(1 + GCM_NONCE_SIZE), metadataAad(file));
  const meta = plaintext && parseMetadata(plaintext);
  if (!meta) throw new DecryptionError();
  return meta;
}

/** MK = HKDF-SHA256(DEK, no salt, "coffer/v1/metadata"): never the DEK itself, so its nonces cannot meet the frames'. */
function metadataKey(dek: Uint8Array): Buffer {
  assertKeySize(dek, 'DEK');
  return hkdf32(dek, Buffer.alloc(0), METADATA_LABEL);
}

/** "coffer/v1/metadata" || file id (36 ASCII). */
export function metadataAad(fileId: Buffer): Buffer {
  return Buffer.concat([label(METADATA_LABEL), fileId]);
}

function parseMetadata(plaintext: Buffer): FileMetadata | undefined {
  try {
    return validMetadata(JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(plaintext)));
  } catch {
    return undefined;
  }
}

/** The four fields, exactly, in their one order; `undefined` when anything is off. */
function validMetadata(value: unknown): FileMetadata | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const { name, media_type, sha256, size, ...rest } = value as Record<string, unknown>;
  if (Object.keys(rest).length > 0) return undefined;
  if (typeof name !== 'string' || name.length === 0 || typeof media_type !== 'string') return undefined;
  if (typeof sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(sha256)) return undefined;
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) return undefined;
  return { name, media_type, sha256, size };
}
