export type AccountKeyErrorCode =
  | 'MALFORMED'
  | 'WRONG_PASSWORD'
  | 'WRONG_RECOVERY_CODE'
  | 'NO_RECOVERY_CODE'
  | 'KDF_OUT_OF_BOUNDS'
  | 'PAIR_MISMATCH'
  | 'SEALED_KEY_INVALID';

/** The one error type of the account key functions (docs/FORMAT.md, "Account key pair"). */
export class AccountKeyError extends Error {
  constructor(
    readonly code: AccountKeyErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'AccountKeyError';
  }
}
