import type { ErrorCode } from '@coffer/contract';
import type { Context } from './context';
import { CliError } from './errors';
import { answerCode, errorBodyOf, type RawResponse } from './api-answer';
import { httpFailure, networkFailure, type ErrorAnswer } from './http-errors';
import { requestSmall, type SmallResponse } from './http-transfer';
import { jwtSubject } from './jwt';
import { Session } from './session';


export interface CallOptions {
  /** What is being done, for error messages ("login", "upload of x.txt"). */
  what: string;
  body?: unknown;
  /** Send the access token (refreshed ahead of expiry, and once more after a 401). */
  auth?: boolean;
  /** Statuses that count as success (default 200). */
  ok?: number[];
  /** Endpoint-specific meaning of error codes; other codes get the generic message. */
  onError?: Partial<Record<ErrorCode, (answer: ErrorAnswer) => CliError>>;
  /**
   * For servers that send no code (a stock Hashdrop server): the code each status stands for on
   * this endpoint. Authenticated calls read a code-less 401 as INVALID_TOKEN.
   */
  codeless?: Partial<Record<number, ErrorCode>>;
}

const REQUEST_TIMEOUT_MS = 60_000;

/** JSON calls to the Coffer API (docs/API.md) at one base URL. */
export class ApiClient {
  private session: Session | undefined;

  constructor(
    readonly ctx: Context,
    readonly baseUrl: string,
  ) {}

  /** The logged-in user's id (the access token's subject); the account key wraps are bound to it. */
  async userId(): Promise<string> {
    this.session ??= await Session.load(this.ctx, this);
    const id = jwtSubject(await this.session.accessToken());
    if (!id || !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(id)) {
      throw new CliError('the server\'s access token does not name the account (no user id in it)', 'This server does not support account keys; use `coffer upload --passphrase`.');
    }
    return id;
  }

  /** Calls the endpoint and returns the parsed JSON body of a successful answer (undefined when empty). */
  async call<T>(method: string, path: string, options: CallOptions): Promise<T> {
    return (await this.callOrAbsent<T>(method, path, options, [])) as T;
  }

  /** Like `call`, but answers `undefined` for the codes in `absentOn` (e.g. NOT_FOUND for "no such file"). */
  async callOrAbsent<T>(method: string, path: string, options: CallOptions, absentOn: ErrorCode[]): Promise<T | undefined> {
    const ok = options.ok ?? [200];
    let token: string | undefined;
    if (options.auth) {
      this.session ??= await Session.load(this.ctx, this);
      token = await this.session.accessToken();
    }
    const codeless: Partial<Record<number, ErrorCode>> = { ...(options.auth ? { 401: 'INVALID_TOKEN' } : {}), ...options.codeless };
    let response = await this.raw(method, path, { body: options.body, token, what: options.what });
    if (!ok.includes(response.status) && answerCode(response, codeless) === 'INVALID_TOKEN' && options.auth && this.session && token) {
      // The token may have been revoked or expired early (clock skew): refresh once and retry.
      token = await this.session.refresh(token);
      response = await this.raw(method, path, { body: options.body, token, what: options.what });
    }
    if (ok.includes(response.status)) return response.body as T;
    const code = answerCode(response, codeless);
    if (code && absentOn.includes(code)) return undefined;
    if (code === 'INVALID_TOKEN' && options.auth) throw Session.expiredError();
    const answer: ErrorAnswer = { status: response.status, body: errorBodyOf(response.body), retryAfter: response.retryAfter };
    const special = code && options.onError?.[code];
    if (special) throw special(answer);
    throw httpFailure(answer, { what: options.what, server: this.baseUrl, nowMs: Date.now() });
  }

  /** One request, no status handling; network failures become a CliError. */
  async raw(method: string, path: string, options: { body?: unknown; token?: string; what: string }): Promise<RawResponse> {
    const url = `${this.baseUrl}${path}`;
    const headers: Record<string, string> = { accept: 'application/json' };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    const started = Date.now();
    let response: SmallResponse;
    try {
      response = await requestSmall(url, {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        timeoutMs: REQUEST_TIMEOUT_MS,
      });
    } catch (error) {
      throw networkFailure(error, url, options.what) ?? error;
    }
    this.ctx.out.debug(`${method} ${path} → ${response.status} (${Date.now() - started} ms)`);
    let body: unknown;
    if (response.body) {
      try {
        body = JSON.parse(response.body);
      } catch {
        body = response.body;
      }
    }
    const retryAfter = response.headers['retry-after'];
    return { status: response.status, retryAfter: retryAfter ?? null, body };
  }
}

export { answerCode, type RawResponse } from './api-answer';
