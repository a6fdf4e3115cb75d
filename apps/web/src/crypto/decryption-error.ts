/** The one error of every failed check of a blob or record (docs/FORMAT.md, "Decryption rules"). */
export class DecryptionError extends Error {
  override readonly name = 'DecryptionError';

  constructor() {
    super('decryption failed: wrong key or corrupted/tampered data');
  }
}

export function fail(): never {
  throw new DecryptionError();
}
