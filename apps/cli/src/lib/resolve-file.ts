import type { CofferApi, FileDetails } from './coffer-api';
import { CliError } from './errors';
import { printable } from './format';
import { parseIdPrefix } from './id-prefix';

/** The one file of the caller whose id starts with `rawPrefix`; none or several is an error listing them. */
export async function resolveOneFile(api: CofferApi, rawPrefix: string, what: string): Promise<FileDetails> {
  const prefix = parseIdPrefix(rawPrefix);
  const matches = await api.details(prefix, what);
  if (matches.length === 0) {
    throw new CliError(`${what} failed: no file of yours has an id starting with ${prefix}`, 'See `coffer files list`.');
  }
  if (matches.length > 1) {
    const lines = matches.map((m) => `  ${m.file_id}  ${printable(m.file_name)}`).join('\n');
    throw new CliError(`${what} failed: ${prefix} matches ${matches.length} files:\n${lines}`, 'Give more characters of the id.');
  }
  return matches[0];
}
