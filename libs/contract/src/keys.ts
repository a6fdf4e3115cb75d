/** Account keys [ext]: `/api/keys` and `PUT /api/files/sealed-key` (docs/API.md, docs/FORMAT.md). */

/** `GET /api/keys`: the caller's account public key and wrapped private key. */
export interface AccountKeysResponse {
  /** Standard base64 of the raw 32-byte X25519 public key. */
  public_key: string;
  /** The opaque key bundle (JSON text, at most 4096 characters) the client stored. */
  bundle: string;
  /** Grows by one per write; send it back with the next PUT. */
  version: number;
  /** RFC 3339 UTC. */
  updated_at: string;
}

/** `PUT /api/keys`: `version` is the version the client read (0 = create). */
export interface PutAccountKeysRequest {
  public_key: string;
  bundle: string;
  version: number;
}

/** `PUT /api/keys`: the version the write created. */
export interface PutAccountKeysResponse {
  version: number;
}

/** `PUT /api/files/sealed-key`: the file key of an uploaded file, sealed to the account key. */
export interface SealedKeyRequest {
  file_id: string;
  /** Standard base64 of 81 bytes starting with 0x01 (108 characters). */
  sealed_key: string;
}
