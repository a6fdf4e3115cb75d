/** Constants of multipart uploads (issue 19; docs/API.md, "Multipart uploads"). */

/** One encrypted frame of a full chunk (docs/FORMAT.md): 65,536 plaintext bytes + 32. Parts are whole frames. */
export const MULTIPART_FRAME_BYTES = 65_568;
/** The plaintext of one full frame. */
export const MULTIPART_FRAME_PLAINTEXT_BYTES = 65_536;
/** The most part numbers one `POST /api/files/parts` may ask for. */
export const MAX_PART_URLS_PER_REQUEST = 100;
/** S3's limits, which both storage drivers enforce. */
export const MAX_MULTIPART_PARTS = 10_000;
export const MAX_MULTIPART_OBJECT_BYTES = 5 * 1024 ** 4;
