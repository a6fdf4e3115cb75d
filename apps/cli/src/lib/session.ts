import { LockTimeoutError, withFileLock } from '@coffer/state-files';
import type { RefreshRequest, RefreshResponse } from '@coffer/contract';
import { answerCode, type RawResponse } from './api-answer';
import type { Context } from './context';
import { loadCredentials, saveCredentials, type Credentials } from './credentials';
import { CliError } from './errors';
import { httpFailure } from './http-errors';
import { needsRefresh } from './jwt';

/** What a session needs of the API client (an interface, so the client and the session do not import each other). */
export interface SessionTransport {
  readonly baseUrl: string;
  raw(method: string, path: string, options: { body?: unknown; token?: string; what: string }): Promise<RawResponse>;
}

/** What a refresh answer holds, checked field by field: the server may not be a Coffer server. */
type RefreshAnswer = { [K in keyof RefreshResponse]?: unknown };

/**
 * The logged-in user's tokens for one server. The access token is refreshed ahead of its expiry
 * with `rotate: true`; the new pair is saved atomically under a lock, so concurrent `coffer`
 * processes sharing one COFFER_HOME never spend the same refresh token twice.
 */
export class Session {
  private constructor(
    private readonly ctx: Context,
    private readonly api: SessionTransport,
    private credentials: Credentials,
  ) {}

  static async load(ctx: Context, api: SessionTransport): Promise<Session> {
    const credentials = await loadCredentials(ctx);
    if (!credentials) throw new CliError('you are not logged in', 'Run `coffer auth login` (or `coffer auth register` first).');
    if (credentials.server !== api.baseUrl) {
      throw new CliError(`you are not logged in to ${api.baseUrl} (your login is for ${credentials.server})`, 'Run `coffer auth login`, or pick the other server with --server.');
    }
    return new Session(ctx, api, credentials);
  }

  static expiredError(): CliError {
    return new CliError('your session has expired or was revoked', 'Log in again with `coffer auth login`.');
  }

  get email(): string {
    return this.credentials.email;
  }

  async accessToken(): Promise<string> {
    const token = this.credentials.access_token;
    return needsRefresh(token, Date.now()) ? this.refresh(token) : token;
  }

  /**
   * A fresh access token in place of `stale`. Another process may have refreshed while we waited
   * for the lock: then its token is used as is.
   */
  async refresh(stale: string): Promise<string> {
    return underCredentialsLock(this.ctx.credentialsLock, async () => {
      const current = await loadCredentials(this.ctx);
      if (!current || current.server !== this.api.baseUrl) throw Session.expiredError();
      if (current.access_token !== stale && !needsRefresh(current.access_token, Date.now())) {
        this.credentials = current;
        return current.access_token;
      }
      this.ctx.out.debug('refreshing the access token');
      const body: RefreshRequest = { refresh_token: current.refresh_token, rotate: true };
      const response = await this.api.raw('POST', '/api/token/refresh', { body, what: 'session refresh' });
      if (response.status !== 200 && answerCode(response, { 401: 'INVALID_TOKEN' }) === 'INVALID_TOKEN') throw Session.expiredError();
      const answer = response.body as RefreshAnswer | undefined;
      if (response.status !== 200 || typeof answer?.access_token !== 'string') {
        throw httpFailure(
          { status: response.status, body: undefined, retryAfter: response.retryAfter },
          { what: 'session refresh', server: this.api.baseUrl, nowMs: Date.now() },
        );
      }
      const next: Credentials = {
        ...current,
        access_token: answer.access_token,
        // A server without rotation answers only an access token: keep the refresh token we have.
        refresh_token: typeof answer.refresh_token === 'string' ? answer.refresh_token : current.refresh_token,
      };
      await saveCredentials(this.ctx, next);
      this.credentials = next;
      return next.access_token;
    });
  }
}

/**
 * Two `coffer` processes must never both spend the same rotating refresh token. The critical
 * section includes a network round trip, so a lock is judged stale only after minutes.
 */
async function underCredentialsLock<T>(lockPath: string, action: () => Promise<T>): Promise<T> {
  try {
    return await withFileLock(lockPath, action, { staleMs: 120_000, timeoutMs: 90_000 });
  } catch (error) {
    if (!(error instanceof LockTimeoutError)) throw error;
    throw new CliError(`timed out waiting for the lock ${lockPath}`, 'Another coffer process holds it; if none is running, delete that file.');
  }
}
