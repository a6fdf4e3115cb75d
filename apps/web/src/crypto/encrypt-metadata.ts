import { ascii, concat, toBase64, type Bytes } from './bytes';
import type { FileMetadata } from './metadata-record';
import { randomBytes } from './encrypt';

const METADATA_LABEL = 'coffer/v1/metadata';
const PAD_TO = 64;
const MAX_PADDED = 3008;
const FILE_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * The encrypted metadata record (docs/FORMAT.md): MK = HKDF-SHA256(DEK, salt empty,
 * "coffer/v1/metadata"); the JSON padded with spaces to a multiple of 64 bytes; base64(0x01 ||
 * nonce || AES-256-GCM(MK, nonce, padded, AAD = label || file id) || tag).
 */
export async function encryptMetadata(metadata: FileMetadata, dek: Bytes, fileId: string, nonce: Bytes = randomBytes(12)): Promise<string> {
  if (!FILE_ID.test(fileId)) throw new RangeError('file id must be a lowercase UUID');
  const json = ascii(JSON.stringify({ name: metadata.name, media_type: metadata.media_type, sha256: metadata.sha256, size: metadata.size }));
  const padded = new Uint8Array(Math.max(PAD_TO, Math.ceil(json.length / PAD_TO) * PAD_TO)).fill(0x20);
  padded.set(json, 0);
  if (padded.length > MAX_PADDED) throw new RangeError('the file name is too long for the metadata record');
  const ikm = await crypto.subtle.importKey('raw', dek, 'HKDF', false, ['deriveKey']);
  const key = await crypto.subtle.deriveKey(
    { name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: ascii(METADATA_LABEL) },
    ikm,
    { name: 'AES-GCM', length: 256 },
    false,
    ['encrypt'],
  );
  const sealed = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv: nonce, additionalData: concat(ascii(METADATA_LABEL), ascii(fileId)) }, key, padded));
  return toBase64(concat(new Uint8Array([0x01]), nonce, sealed));
}
