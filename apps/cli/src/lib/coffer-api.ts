import { ApiClient } from './api-client';
import type { Context } from './context';
import { CliError } from './errors';
import type { ErrorBody } from './http-errors';

/** Wire types of API.md. */
export interface TokenPair {
  access_token: string;
  refresh_token: string;
}

export interface PresignAnswer {
  file_id: string;
  upload_resource: { url: string; method?: string; headers?: Record<string, string>; expires_at?: string };
}

export interface CompleteRequest {
  file_id: string;
  plaintext_hash: string;
  plaintext_size_bytes: number;
  passphrase_salt: string;
  key_commitment: string;
  kdf_params?: KdfParamsWire;
}

export interface CompleteAnswer {
  s3_object_key: string;
  uploaded_file_size: number;
}

export type KeyMode = 'vault' | 'passphrase';

export interface FileListItem {
  file_id: string;
  file_name: string;
  encrypted_size_bytes: number;
  status: string;
  key_management_mode: KeyMode;
  created_at: string;
}

export interface FileDetails {
  file_id: string;
  file_name: string;
  status: string;
  plaintext_size_bytes: number;
  encrypted_size_bytes: number;
  s3_key: string;
  key_management_mode: KeyMode;
  plaintext_hash: string;
  key_commitment?: string | null;
  kdf_params?: KdfParamsWire | null;
  created_at?: string;
}

export interface ResolveMatch {
  file_name: string;
  file_id: string;
}

export interface Usage {
  used_bytes: number;
  reserved_bytes: number;
  quota_bytes: number;
  file_count: number;
  max_files: number;
  max_file_size_bytes: number;
}

export interface FileMeta {
  file_name: string;
  key_management_mode: KeyMode;
  passphrase_salt: string;
  kdf_params: KdfParamsWire | null;
  key_commitment: string | null;
  encrypted_size_bytes: number;
  plaintext_hash: string;
}

/** `kdf_params` as sent at complete: `{"alg":"argon2id","m":65536,"t":3,"p":1}`. */
export interface KdfParamsWire {
  alg: string;
  m: number;
  t: number;
  p: number;
}

/** The Coffer API (API.md), one method per endpoint the CLI uses. */
export class CofferApi {
  readonly client: ApiClient;

  constructor(ctx: Context, readonly baseUrl: string) {
    this.client = new ApiClient(ctx, baseUrl);
  }

  register(email: string, password: string): Promise<unknown> {
    return this.client.call('POST', '/api/user/register', {
      what: 'registration',
      body: { email, password },
      ok: [201],
      onError: (status, body) => {
        if (status === 409) return new CliError('registration failed: a verified account already uses this e-mail address', 'Log in with `coffer auth login`.');
        if (status === 400) return new CliError(`registration failed: ${body?.error ?? 'invalid e-mail address or password'}`, 'Use a valid e-mail address and a password of at least 8 characters.');
        return undefined;
      },
    });
  }

  verify(email: string, otp: string): Promise<unknown> {
    return this.client.call('PATCH', '/api/user/verify', {
      what: 'verification',
      body: { email, otp },
      ok: [204],
      onError: (status) => {
        if (status === 401) return new CliError('verification failed: wrong code, or no account waiting for verification with this e-mail', 'Check the code in the e-mail, or get a new one with `coffer auth resend`.');
        if (status === 400) return new CliError('verification failed: the code has expired', 'Get a new one with `coffer auth resend`.');
        if (status === 429) return new CliError('verification failed: too many wrong codes; this code is void', 'Get a new one with `coffer auth resend`.');
        return undefined;
      },
    });
  }

  resend(email: string): Promise<unknown> {
    return this.client.call('POST', '/api/user/verify/resend', { what: 'resending the code', body: { email }, ok: [202, 200, 204] });
  }

  login(email: string, password: string): Promise<TokenPair> {
    return this.client.call<TokenPair>('POST', '/api/user/login', {
      what: 'login',
      body: { email, password },
      onError: (status) =>
        status === 401
          ? new CliError('login failed: wrong e-mail or password, or the account is not verified yet', 'Check both; an unverified account needs `coffer auth verify` first.')
          : undefined,
    });
  }

  revoke(refreshToken: string): Promise<unknown> {
    return this.client.call('POST', '/api/token/revoke', { what: 'logout', body: { refresh_token: refreshToken }, ok: [204, 200] });
  }

  deleteAccount(email: string, password: string): Promise<unknown> {
    return this.client.call('DELETE', '/api/user', {
      what: 'account deletion',
      body: { email, password },
      ok: [204, 200],
      onError: (status) => (status === 401 ? new CliError('account deletion failed: wrong e-mail or password', 'Check both and try again.') : undefined),
    });
  }

  presign(fileName: string, mimeType: string, size: number, what: string): Promise<PresignAnswer> {
    return this.client.call<PresignAnswer>('POST', '/api/files/presign', {
      what,
      auth: true,
      body: { file_name: fileName, mime_type: mimeType, size },
    });
  }

  /** Completes an upload; a 409 (object not visible in storage yet) is answered `undefined`. */
  tryComplete(request: CompleteRequest, what: string): Promise<CompleteAnswer | undefined> {
    return this.client.callOrAbsent<CompleteAnswer>('POST', '/api/files/complete', { what, auth: true, body: request, onError: completeError(what) }, [409]);
  }

  listFiles(): Promise<FileListItem[]> {
    return this.client.call<FileListItem[]>('GET', '/api/files/all', { what: 'listing files', auth: true });
  }

  /** Files whose id starts with `prefix`; an empty list when none. */
  async resolve(prefix: string, what: string): Promise<ResolveMatch[]> {
    const path = `/api/files/resolve?id=${encodeURIComponent(prefix)}`;
    return (await this.client.callOrAbsent<ResolveMatch[]>('GET', path, { what, auth: true }, [404])) ?? [];
  }

  /** Details of the files whose id starts with `prefix`; an empty list when none. */
  async details(prefix: string, what: string): Promise<FileDetails[]> {
    const path = `/api/files?id=${encodeURIComponent(prefix)}`;
    return (await this.client.callOrAbsent<FileDetails[]>('GET', path, { what, auth: true }, [404])) ?? [];
  }

  deleteFile(fileId: string, what: string): Promise<unknown> {
    return this.client.call('DELETE', `/api/files?id=${encodeURIComponent(fileId)}`, { what, auth: true, ok: [204] });
  }

  usage(): Promise<Usage> {
    return this.client.call<Usage>('GET', '/api/user/usage', { what: 'reading usage', auth: true });
  }

  /** Public metadata of a share link (no account needed); `undefined` for 404. */
  meta(ownerHash: string, fileId: string, what: string): Promise<FileMeta | undefined> {
    const path = `/files/meta/${encodeURIComponent(ownerHash)}/${encodeURIComponent(fileId)}`;
    return this.client.callOrAbsent<FileMeta>('GET', path, { what }, [404]);
  }
}

function completeError(what: string): (status: number, body: ErrorBody | undefined) => CliError | undefined {
  return (status, body) =>
    status === 413
      ? new CliError(`${what} failed: the stored file is over the per-file limit, its declared size or your quota${body?.error ? ` (${body.error})` : ''}`, 'See `coffer usage`.')
      : undefined;
}
