import type * as wire from '@coffer/contract';
import { ApiClient } from './api-client';
import type { Context } from './context';
import { CliError, UsageError } from './errors';
import { parseRetryAfter, retryHint, type ErrorAnswer } from './http-errors';

/**
 * The wire types of docs/API.md, from the contract the server implements. Fields marked [ext]
 * there are optional here: a stock Hashdrop server does not send them.
 */
type FromAnyServer<T, Ext extends keyof T> = Omit<T, Ext> & Partial<Pick<T, Ext>>;

export type TokenPair = wire.LoginResponse;
export type PresignAnswer = Omit<wire.PresignResponse, 'upload_resource'> & {
  upload_resource: FromAnyServer<wire.UploadResource, 'method' | 'headers' | 'expires_at'>;
};
export type CompleteRequest = wire.CompleteRequest & { key_commitment: string };
export type CompleteAnswer = wire.CompleteResponse;
export type KeyMode = wire.KeyManagementMode;
type SealedFields = keyof wire.SealedFileFields;
export type FileListItem = FromAnyServer<wire.FileSummary, SealedFields>;
export type FileDetails = FromAnyServer<wire.FileDetails, 'key_commitment' | 'kdf_params' | 'created_at' | SealedFields>;
export type ResolveMatch = wire.ResolvedFile;
export type Usage = wire.UsageResponse;
/** Only Coffer servers serve the meta route; the account-key fields are newer. */
export type FileMeta = FromAnyServer<wire.FileMetaResponse, 'encrypted_metadata' | 'nonce_prefix'>;
export type AccountKeys = wire.AccountKeysResponse;

/** A write of the account keys over a version that is no longer the current one. */
export class KeyVersionConflict extends CliError {
  override readonly name = 'KeyVersionConflict';
}

/** The server holds a different public key (or sealed key) that cannot be replaced. */
export class KeyMismatch extends CliError {
  override readonly name = 'KeyMismatch';
}

/** The server keeps no account keys (a stock Hashdrop server, or an older Coffer server). */
export class AccountKeysUnsupported extends CliError {
  override readonly name = 'AccountKeysUnsupported';
}

/**
 * The guesses of an address are spent (docs/API.md, route 6): one budget per address across all its
 * codes, for a window that a resend or a new registration does not reset. The codes stay live.
 */
export function tooManyCodeGuesses(answer: ErrorAnswer, nowMs: number): CliError {
  return new CliError(
    'verification failed: too many wrong codes for this e-mail address; until the wait is over no code is accepted, not even the right one',
    `${retryHint(parseRetryAfter(answer.retryAfter, nowMs), nowMs)} Neither \`coffer auth resend\` nor registering again gives more tries before then. ` +
      'Then verify with your code if it has not expired, else register again (`coffer auth register`) for a new one.',
  );
}

/** The Coffer API (docs/API.md), one method per endpoint the CLI uses. */
export class CofferApi {
  readonly client: ApiClient;

  constructor(ctx: Context, readonly baseUrl: string) {
    this.client = new ApiClient(ctx, baseUrl);
  }

  register(email: string, password: string): Promise<unknown> {
    const body: wire.RegisterRequest = { email, password };
    return this.client.call('POST', '/api/user/register', {
      what: 'registration',
      body,
      ok: [201],
      codeless: { 400: 'VALIDATION_FAILED', 409: 'ALREADY_REGISTERED' },
      onError: {
        ALREADY_REGISTERED: () => new CliError('registration failed: a verified account already uses this e-mail address', 'Log in with `coffer auth login`.'),
        // The server refused the input itself, and saved nothing: a usage error.
        VALIDATION_FAILED: (answer) =>
          new UsageError(`registration failed: ${answer.body?.error ?? 'invalid e-mail address or password'}`, 'Use a valid e-mail address and a password of at least 8 characters.'),
      },
    });
  }

  verify(email: string, otp: string): Promise<unknown> {
    const body: wire.VerifyRequest = { email, otp };
    return this.client.call('PATCH', '/api/user/verify', {
      what: 'verification',
      body,
      ok: [204],
      codeless: { 400: 'CODE_EXPIRED', 401: 'INVALID_CODE', 429: 'TOO_MANY_ATTEMPTS' },
      onError: {
        INVALID_CODE: () =>
          new CliError('verification failed: wrong code, or no account waiting for verification with this e-mail', 'Check the code in the e-mail, or get a new one with `coffer auth resend`.'),
        CODE_EXPIRED: () => new CliError('verification failed: the code has expired', 'Register again with `coffer auth register` for a new code (a resend only re-mails codes that have not expired).'),
        TOO_MANY_ATTEMPTS: (answer) => tooManyCodeGuesses(answer, Date.now()),
      },
    });
  }

  resend(email: string): Promise<unknown> {
    const body: wire.ResendRequest = { email };
    return this.client.call('POST', '/api/user/verify/resend', { what: 'resending the code', body, ok: [202, 200, 204] });
  }

  login(email: string, password: string): Promise<TokenPair> {
    const body: wire.CredentialsRequest = { email, password };
    return this.client.call<TokenPair>('POST', '/api/user/login', {
      what: 'login',
      body,
      codeless: { 401: 'INVALID_CREDENTIALS' },
      onError: {
        INVALID_CREDENTIALS: () =>
          new CliError('login failed: wrong e-mail or password, or the account is not verified yet', 'Check both; an unverified account needs `coffer auth verify` first.'),
      },
    });
  }

  revoke(refreshToken: string): Promise<unknown> {
    const body: wire.RevokeRequest = { refresh_token: refreshToken };
    return this.client.call('POST', '/api/token/revoke', { what: 'logout', body, ok: [204, 200] });
  }

  deleteAccount(email: string, password: string): Promise<unknown> {
    const body: wire.CredentialsRequest = { email, password };
    return this.client.call('DELETE', '/api/user', {
      what: 'account deletion',
      body,
      ok: [204, 200],
      codeless: { 401: 'INVALID_CREDENTIALS' },
      onError: { INVALID_CREDENTIALS: () => new CliError('account deletion failed: wrong e-mail or password', 'Check both and try again.') },
    });
  }

  presign(fileName: string, mimeType: string, size: number, what: string): Promise<PresignAnswer> {
    const body: wire.PresignRequest = { file_name: fileName, mime_type: mimeType, size };
    return this.client.call<PresignAnswer>('POST', '/api/files/presign', { what, auth: true, body });
  }

  /** Completes an upload; UPLOAD_INCOMPLETE (object not visible in storage yet) is answered `undefined`. */
  tryComplete(request: CompleteRequest, what: string): Promise<CompleteAnswer | undefined> {
    return this.client.callOrAbsent<CompleteAnswer>(
      'POST',
      '/api/files/complete',
      { what, auth: true, body: request, codeless: { 409: 'UPLOAD_INCOMPLETE', 413: 'FILE_TOO_LARGE' }, onError: completeErrors(what) },
      ['UPLOAD_INCOMPLETE'],
    );
  }

  listFiles(): Promise<FileListItem[]> {
    return this.client.call<FileListItem[]>('GET', '/api/files/all', { what: 'listing files', auth: true });
  }

  /** Files whose id starts with `prefix`; an empty list when none. */
  async resolve(prefix: string, what: string): Promise<ResolveMatch[]> {
    const path = `/api/files/resolve?id=${encodeURIComponent(prefix)}`;
    return (await this.client.callOrAbsent<ResolveMatch[]>('GET', path, { what, auth: true, codeless: { 404: 'NOT_FOUND' } }, ['NOT_FOUND'])) ?? [];
  }

  /** Details of the files whose id starts with `prefix`; an empty list when none. */
  async details(prefix: string, what: string): Promise<FileDetails[]> {
    const path = `/api/files?id=${encodeURIComponent(prefix)}`;
    return (await this.client.callOrAbsent<FileDetails[]>('GET', path, { what, auth: true, codeless: { 404: 'NOT_FOUND' } }, ['NOT_FOUND'])) ?? [];
  }

  deleteFile(fileId: string, what: string): Promise<unknown> {
    return this.client.call('DELETE', `/api/files?id=${encodeURIComponent(fileId)}`, { what, auth: true, ok: [204] });
  }

  usage(): Promise<Usage> {
    return this.client.call<Usage>('GET', '/api/user/usage', { what: 'reading usage', auth: true });
  }

  /** The caller's account keys; `undefined` when the account has none yet. */
  getKeys(what: string): Promise<AccountKeys | undefined> {
    return this.client.callOrAbsent<AccountKeys>('GET', '/api/keys', { what, auth: true, codeless: { 404: 'METHOD_NOT_ALLOWED', 405: 'METHOD_NOT_ALLOWED' }, onError: keysErrors(what) }, ['NOT_FOUND']);
  }

  /**
   * Writes the account keys over `version` (the one read, 0 to create); answers the new version.
   * A write that lost a race (409 KEY_VERSION_CONFLICT) is a CliError asking to run again.
   */
  async putKeys(request: wire.PutAccountKeysRequest, what: string): Promise<number> {
    const answer = await this.client.call<wire.PutAccountKeysResponse>('PUT', '/api/keys', { what, auth: true, body: request, onError: keysErrors(what) });
    return answer.version;
  }

  /** Stores the sealed key of an uploaded file of the caller (idempotent); `false` when the file is gone. */
  async putSealedKey(fileId: string, sealedKey: string, what: string): Promise<boolean> {
    const body: wire.SealedKeyRequest = { file_id: fileId, sealed_key: sealedKey };
    const gone = new CliError(`${what}: no such uploaded file`);
    try {
      await this.client.call('PUT', '/api/files/sealed-key', { what, auth: true, body, ok: [204], onError: { ...keysErrors(what), NOT_FOUND: () => gone } });
      return true;
    } catch (error) {
      if (error === gone) return false;
      throw error;
    }
  }

  /** Public metadata of a share link (no account needed); `undefined` for NOT_FOUND. */
  meta(ownerHash: string, fileId: string, what: string): Promise<FileMeta | undefined> {
    const path = `/files/meta/${encodeURIComponent(ownerHash)}/${encodeURIComponent(fileId)}`;
    return this.client.callOrAbsent<FileMeta>('GET', path, { what, codeless: { 404: 'NOT_FOUND' } }, ['NOT_FOUND']);
  }
}

function keysErrors(what: string): Partial<Record<wire.ErrorCode, (answer: ErrorAnswer) => CliError>> {
  return {
    METHOD_NOT_ALLOWED: () => new AccountKeysUnsupported(`${what} failed: this server keeps no account keys`, 'It is a server without account keys (e.g. a stock Hashdrop server); keys stay in your local vault.'),
    KEY_VERSION_CONFLICT: () => new KeyVersionConflict(`${what} failed: your account keys were changed elsewhere meanwhile; nothing was written`, 'Run the command again.'),
    KEY_MISMATCH: (answer) => new KeyMismatch(`${what} failed: the server already holds a different key${answer.body?.error ? ` (${answer.body.error})` : ''}; nothing was written`, 'Run `coffer keys status`; the key the server holds is not the one this device has.'),
  };
}

/** The stored object was refused at complete (and deleted by the server). */
function completeErrors(what: string): Partial<Record<wire.ErrorCode, (answer: ErrorAnswer) => CliError>> {
  const overLimit = (answer: ErrorAnswer) =>
    new CliError(`${what} failed: the stored file is over the per-file limit, its declared size or your quota${answer.body?.error ? ` (${answer.body.error})` : ''}`, 'See `coffer usage`.');
  return { FILE_TOO_LARGE: overLimit, UPLOAD_OVER_QUOTA: overLimit };
}
