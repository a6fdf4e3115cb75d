-- Account keys (issue 16, docs/FORMAT.md): one key pair per account, and per file its sealed key,
-- encrypted metadata record and nonce prefix.

-- AlterTable
ALTER TABLE "files" ADD COLUMN     "encrypted_metadata" TEXT,
ADD COLUMN     "nonce_prefix" TEXT,
ADD COLUMN     "sealed_key" TEXT;

-- CreateTable
CREATE TABLE "account_keys" (
    "user_id" UUID NOT NULL,
    "public_key" TEXT NOT NULL,
    "bundle" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "account_keys_pkey" PRIMARY KEY ("user_id")
);

-- AddForeignKey
ALTER TABLE "account_keys" ADD CONSTRAINT "account_keys_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- A version starts at 1 (the create) and only grows.
ALTER TABLE "account_keys" ADD CONSTRAINT "account_keys_version_positive" CHECK ("version" >= 1);

-- complete_upload also stores the account-key fields of the file (sealed key, encrypted metadata,
-- nonce prefix), in the same statement as the status change, so the fields of the first complete
-- are the ones kept. The new parameters default to NULL (clients without account keys), and the
-- function is called with named arguments only. Body otherwise unchanged (migration
-- 20261123143500_complete_upload_function explains it, lock order included).
DROP FUNCTION complete_upload(UUID, UUID, BIGINT, BIGINT, TEXT, TEXT, "key_management_mode", TEXT, JSONB, BIGINT, BIGINT, TIMESTAMPTZ);

CREATE FUNCTION complete_upload(
    p_file_id UUID,
    p_user_id UUID,
    p_size BIGINT,
    p_plaintext_size BIGINT,
    p_plaintext_hash TEXT,
    p_passphrase_salt TEXT,
    p_key_management_mode "key_management_mode",
    p_key_commitment TEXT,
    p_kdf_params JSONB,
    p_quota_bytes BIGINT,
    p_global_limit_bytes BIGINT,
    p_now TIMESTAMPTZ,
    p_sealed_key TEXT DEFAULT NULL,
    p_encrypted_metadata TEXT DEFAULT NULL,
    p_nonce_prefix TEXT DEFAULT NULL
) RETURNS TEXT LANGUAGE plpgsql AS $$
DECLARE
    v_user RECORD;
    v_reserved BIGINT;
    v_global RECORD;
BEGIN
    SELECT used_bytes, reserved_bytes INTO v_user FROM users WHERE id = p_user_id FOR NO KEY UPDATE;
    IF NOT FOUND THEN
        RETURN 'not-pending';
    END IF;
    SELECT reserved_bytes INTO v_reserved FROM files
    WHERE id = p_file_id AND user_id = p_user_id AND status = 'pending' FOR NO KEY UPDATE;
    IF NOT FOUND THEN
        RETURN 'not-pending';
    END IF;

    IF p_size > v_reserved AND v_user.used_bytes + v_user.reserved_bytes - v_reserved + p_size > p_quota_bytes THEN
        RETURN 'over-quota';
    END IF;
    IF v_reserved <> 0 OR p_size <> 0 THEN
        SELECT used_bytes, reserved_bytes INTO v_global FROM storage_usage WHERE id = 1 FOR NO KEY UPDATE;
        IF p_size > v_reserved AND p_global_limit_bytes <> 0
           AND v_global.used_bytes + v_global.reserved_bytes - v_reserved + p_size > p_global_limit_bytes THEN
            RETURN 'storage-full';
        END IF;
        UPDATE storage_usage SET used_bytes = used_bytes + p_size, reserved_bytes = reserved_bytes - v_reserved WHERE id = 1;
    END IF;

    UPDATE files SET status = 'uploaded', encrypted_size_bytes = p_size, plaintext_size_bytes = p_plaintext_size,
           plaintext_hash = p_plaintext_hash, passphrase_salt = p_passphrase_salt,
           key_management_mode = p_key_management_mode, key_commitment = p_key_commitment,
           kdf_params = p_kdf_params, sealed_key = p_sealed_key, encrypted_metadata = p_encrypted_metadata,
           nonce_prefix = p_nonce_prefix, completed_at = p_now, updated_at = p_now
    WHERE id = p_file_id;
    UPDATE users SET used_bytes = used_bytes + p_size, reserved_bytes = reserved_bytes - v_reserved WHERE id = p_user_id;
    RETURN 'completed';
END
$$;
