import { Command } from 'commander';
import { loadCredentials } from '../lib/credentials';
import { formatTimestamp } from '../lib/format';
import { jwtExpiry } from '../lib/jwt';
import { ReportedFailure } from '../lib/report-error';
import { contextFor, type Runtime } from '../lib/runtime';

export interface AuthStatus {
  /** Logged in to the server commands use now. */
  logged_in: boolean;
  /** The server commands use now (--server, COFFER_SERVER, `coffer config`, default). */
  server: string;
  /** The login kept in COFFER_HOME, if any: its account and server. */
  email: string | null;
  login_server: string | null;
  /** RFC 3339 expiry of the access token (it is refreshed automatically); null when unknown. */
  access_token_expires_at: string | null;
}

export function formatAuthStatus(status: AuthStatus): string {
  if (!status.email || !status.login_server) return `Not logged in (server ${status.server}). Log in with: coffer auth login`;
  const expiry = status.access_token_expires_at ? `Access token valid until ${formatTimestamp(status.access_token_expires_at)} (refreshed automatically).` : 'Access token of unknown expiry.';
  if (!status.logged_in) {
    return `Logged in to ${status.login_server} as ${status.email}, but commands now use ${status.server}, where you are not logged in.\n${expiry}`;
  }
  return `Logged in to ${status.server} as ${status.email}.\n${expiry}`;
}

export function authStatusCommand(runtime: Runtime): Command {
  return new Command('status')
    .description('who is logged in to which server (from COFFER_HOME; the server is not asked); exit 1 when not logged in to the server in use')
    .action(async (_options: unknown, command: Command) => {
      const ctx = contextFor(runtime, command);
      const server = (await ctx.server()).url;
      const credentials = await loadCredentials(ctx);
      const exp = credentials ? jwtExpiry(credentials.access_token) : undefined;
      const status: AuthStatus = {
        logged_in: credentials?.server === server,
        server,
        email: credentials?.email ?? null,
        login_server: credentials?.server ?? null,
        access_token_expires_at: exp === undefined ? null : new Date(exp * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      };
      ctx.out.result(status, () => formatAuthStatus(status));
      if (!status.logged_in) throw new ReportedFailure('not logged in');
    });
}
