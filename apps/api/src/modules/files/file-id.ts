/** A file id as the server issues it: a lowercase canonical UUID. */
export const FILE_ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * What clients may use to address a file: a file id or a prefix of one. Only these characters
 * reach the `LIKE` of the lookup, so `%` and `_` can never widen a match.
 */
export const ID_PREFIX_PATTERN = /^[0-9a-f-]{1,36}$/;

const CANONICAL_TEMPLATE = '00000000-0000-0000-0000-000000000000';

/**
 * The canonical UUIDs that start with `prefix` (already matching ID_PREFIX_PATTERN), as an
 * inclusive range: canonical lowercase hex sorts like the UUID's bytes, which is PostgreSQL's uuid
 * order, so a prefix lookup can be an index range scan instead of a scan of all the user's files.
 * Undefined when no canonical UUID starts with `prefix` (a dash or a hex digit out of place).
 */
export function idPrefixRange(prefix: string): { from: string; to: string } | undefined {
  let from = '';
  let to = '';
  for (let i = 0; i < CANONICAL_TEMPLATE.length; i++) {
    const dash = CANONICAL_TEMPLATE[i] === '-';
    if (i < prefix.length) {
      if ((prefix[i] === '-') !== dash) return undefined;
      from += prefix[i];
      to += prefix[i];
    } else {
      from += dash ? '-' : '0';
      to += dash ? '-' : 'f';
    }
  }
  return { from, to };
}
