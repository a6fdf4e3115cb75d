-- The upload ledger's counters can never go below zero: a release that would take more than was
-- held is a bug in the code that moves them (LedgerRepository and the SQL functions
-- reserve_upload and complete_upload), and the database now refuses it instead of storing drift.
ALTER TABLE "users"
    ADD CONSTRAINT "users_used_bytes_non_negative" CHECK ("used_bytes" >= 0),
    ADD CONSTRAINT "users_reserved_bytes_non_negative" CHECK ("reserved_bytes" >= 0),
    ADD CONSTRAINT "users_file_count_non_negative" CHECK ("file_count" >= 0);

ALTER TABLE "storage_usage"
    ADD CONSTRAINT "storage_usage_used_bytes_non_negative" CHECK ("used_bytes" >= 0),
    ADD CONSTRAINT "storage_usage_reserved_bytes_non_negative" CHECK ("reserved_bytes" >= 0);

ALTER TABLE "files"
    ADD CONSTRAINT "files_reserved_bytes_non_negative" CHECK ("reserved_bytes" >= 0);

ALTER TABLE "download_counters"
    ADD CONSTRAINT "download_counters_count_non_negative" CHECK ("count" >= 0);
