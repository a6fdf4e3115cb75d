-- Complete's status change and quota conversion as one statement (one round trip instead of an
-- interactive transaction of six): pending → uploaded with the verified size and the client's
-- metadata, the reservation turned into usage of that size. The rows are locked first (the user
-- row, then the file row, then storage_usage, the order everywhere) and every limit is checked
-- before anything changes, so a refused completion changes nothing. When the size fits inside the
-- reservation nothing is checked (those bytes were accounted for at presign); otherwise the excess
-- must fit in the user's quota and the service-wide limit (0 means unlimited).
-- Returns 'completed', 'not-pending' (no longer the caller's pending file), 'over-quota' or
-- 'storage-full'.
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
    p_now TIMESTAMPTZ
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
           kdf_params = p_kdf_params, completed_at = p_now, updated_at = p_now
    WHERE id = p_file_id;
    UPDATE users SET used_bytes = used_bytes + p_size, reserved_bytes = reserved_bytes - v_reserved WHERE id = p_user_id;
    RETURN 'completed';
END
$$;
