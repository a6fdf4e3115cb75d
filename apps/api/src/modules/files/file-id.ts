/** A file id as the server issues it: a lowercase canonical UUID. */
export const FILE_ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * What clients may use to address a file: a file id or a prefix of one. Only these characters
 * reach the `LIKE` of the lookup, so `%` and `_` can never widen a match.
 */
export const ID_PREFIX_PATTERN = /^[0-9a-f-]{1,36}$/;

/** The first segment of object keys and share links (see `ownerPrefix`). */
export const OWNER_HASH_PATTERN = /^usrh-[0-9a-f]{32}$/;
