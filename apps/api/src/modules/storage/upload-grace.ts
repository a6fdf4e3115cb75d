/**
 * How long after its URL expired an upload may still be landing: storage checks the signature
 * when a PUT starts, so a large upload begun just before expiry can finish well after it.
 */
export const UPLOAD_GRACE_MS = 60 * 60_000;
