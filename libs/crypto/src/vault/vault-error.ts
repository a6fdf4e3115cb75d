export type VaultErrorCode = 'NOT_FOUND' | 'ALREADY_EXISTS' | 'WRONG_PASSWORD' | 'CORRUPT';

export class VaultError extends Error {
  constructor(
    readonly code: VaultErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'VaultError';
  }
}
