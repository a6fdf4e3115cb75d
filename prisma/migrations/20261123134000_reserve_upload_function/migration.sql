-- Presign's quota reservation and pending-file insert as one statement (one round trip instead of
-- an interactive transaction of five): the user's bytes and file slot, the service-wide bytes,
-- then the file row. Each check is the WHERE of the UPDATE that moves the counter, so concurrent
-- calls cannot pass a limit; when the service-wide check fails, the user's reservation is undone
-- in the same transaction. Lock order as everywhere: the user row, then storage_usage.
-- Returns 'created', 'file-count', 'over-quota' or 'storage-full'.
CREATE FUNCTION reserve_upload(
    p_user_id UUID,
    p_bytes BIGINT,
    p_quota_bytes BIGINT,
    p_max_files INTEGER,
    p_global_limit_bytes BIGINT,
    p_file_id UUID,
    p_file_name TEXT,
    p_mime_type TEXT,
    p_object_key TEXT,
    p_declared_size BIGINT,
    p_upload_expires_at TIMESTAMPTZ,
    p_now TIMESTAMPTZ
) RETURNS TEXT LANGUAGE plpgsql AS $$
BEGIN
    UPDATE users SET reserved_bytes = reserved_bytes + p_bytes, file_count = file_count + 1
    WHERE id = p_user_id
      AND used_bytes + reserved_bytes + p_bytes <= p_quota_bytes
      AND file_count < p_max_files;
    IF NOT FOUND THEN
        IF EXISTS (SELECT 1 FROM users WHERE id = p_user_id AND file_count >= p_max_files) THEN
            RETURN 'file-count';
        END IF;
        RETURN 'over-quota';
    END IF;

    -- A limit of 0 means unlimited; the totals are kept all the same.
    IF p_bytes > 0 THEN
        UPDATE storage_usage SET reserved_bytes = reserved_bytes + p_bytes
        WHERE id = 1 AND (p_global_limit_bytes = 0 OR used_bytes + reserved_bytes + p_bytes <= p_global_limit_bytes);
        IF NOT FOUND THEN
            UPDATE users SET reserved_bytes = reserved_bytes - p_bytes, file_count = file_count - 1 WHERE id = p_user_id;
            RETURN 'storage-full';
        END IF;
    END IF;

    INSERT INTO files (id, user_id, file_name, mime_type, object_key, declared_size, reserved_bytes, upload_expires_at, created_at, updated_at)
    VALUES (p_file_id, p_user_id, p_file_name, p_mime_type, p_object_key, p_declared_size, p_bytes, p_upload_expires_at, p_now, p_now);
    RETURN 'created';
END
$$;
