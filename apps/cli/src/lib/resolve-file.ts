import type { CofferApi, FileDetails } from './coffer-api';
import { CliError } from './errors';
import { printable } from './format';
import { parseIdPrefix } from './id-prefix';
import { shownName } from './name-cache';

/** The one file of the caller whose id starts with `rawPrefix`; none or several is an error listing them. */
export async function resolveOneFile(api: CofferApi, rawPrefix: string, what: string): Promise<FileDetails> {
  const prefix = parseIdPrefix(rawPrefix);
  const matches = await api.details(prefix, what);
  if (matches.length === 0) {
    throw new CliError(`${what} failed: no file of yours has an id starting with ${prefix}`, 'See `coffer files list`.');
  }
  if (matches.length > 1) {
    const names = await Promise.all(matches.map((m) => (m.encrypted_metadata ? shownName(api.client.ctx, m) : Promise.resolve(m.file_name))));
    const lines = matches.map((m, i) => `  ${m.file_id}  ${printable(names[i])}`).join('\n');
    throw new CliError(`${what} failed: ${prefix} matches ${matches.length} files:\n${lines}`, 'Give more characters of the id.');
  }
  return matches[0];
}
