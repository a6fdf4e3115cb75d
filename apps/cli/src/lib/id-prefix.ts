import { UsageError } from './errors';

/** A file id or its beginning, as the API accepts it (`[0-9a-f-]{1,36}`), lower-cased. */
export function parseIdPrefix(raw: string): string {
  const prefix = raw.trim().toLowerCase();
  if (!/^[0-9a-f-]{1,36}$/.test(prefix)) {
    throw new UsageError(`invalid file id ${JSON.stringify(raw)}`, 'Use the id (or its first characters) shown by `coffer files list`.');
  }
  return prefix;
}
