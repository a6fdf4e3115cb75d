import { ascii, concat, fromBase64, type Bytes } from './bytes';
import { fail } from './decryption-error';

/** WebCrypto's key type, spelled so the Node-typed test program (no DOM lib) reads these files too. */
type AesKey = Awaited<ReturnType<typeof crypto.subtle.importKey>>;

/** What the encrypted metadata record holds (docs/FORMAT.md, "Encrypted metadata record"). */
export interface FileMetadata {
  name: string;
  media_type: string;
  sha256: string;
  size: number;
}

const RECORD_VERSION = 0x01;
const METADATA_LABEL = 'coffer/v1/metadata';
const MAX_RECORD_CHARS = 4096;
const NONCE = 12;
const TAG = 16;
const FILE_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** MK = HKDF-SHA256(ikm = DEK, salt = empty, info = "coffer/v1/metadata"), as an AES-GCM key. */
async function metadataKey(dek: Bytes): Promise<AesKey> {
  const ikm = await crypto.subtle.importKey('raw', dek, 'HKDF', false, ['deriveKey']);
  return crypto.subtle.deriveKey(
    { name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: ascii(METADATA_LABEL) },
    ikm,
    { name: 'AES-GCM', length: 256 },
    false,
    ['decrypt'],
  );
}

/** Opens and validates a record; every failure (wrong key, another file's record, any change, bad fields) is the one DecryptionError. */
export async function decryptMetadata(record: string, dek: Bytes, fileId: string): Promise<FileMetadata> {
  if (!FILE_ID.test(fileId)) fail();
  const bytes = record.length <= MAX_RECORD_CHARS ? fromBase64(record) : undefined;
  if (!bytes || bytes.length < 1 + NONCE + TAG || bytes[0] !== RECORD_VERSION) fail();
  let plaintext: ArrayBuffer;
  try {
    plaintext = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: bytes.subarray(1, 1 + NONCE), additionalData: concat(ascii(METADATA_LABEL), ascii(fileId)) },
      await metadataKey(dek),
      bytes.subarray(1 + NONCE),
    );
  } catch {
    fail();
  }
  return parseMetadata(plaintext) ?? fail();
}

function parseMetadata(plaintext: ArrayBuffer): FileMetadata | undefined {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(plaintext));
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const { name, media_type, sha256, size, ...rest } = value as Record<string, unknown>;
  if (Object.keys(rest).length > 0) return undefined;
  if (typeof name !== 'string' || name.length === 0 || typeof media_type !== 'string') return undefined;
  if (typeof sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(sha256)) return undefined;
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) return undefined;
  return { name, media_type, sha256, size };
}
