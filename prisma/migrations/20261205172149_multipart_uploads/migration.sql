-- Multipart uploads (issue 19, docs/API.md "Multipart uploads"): a file row remembers the storage
-- upload and the server's plan, the lease of a running completion and why a completion failed it.

-- AlterTable
ALTER TABLE "files" ADD COLUMN     "completing_until" TIMESTAMPTZ(3),
ADD COLUMN     "failure_code" TEXT,
ADD COLUMN     "multipart_upload_id" TEXT,
ADD COLUMN     "part_count" INTEGER,
ADD COLUMN     "part_size" BIGINT;

-- A plan is whole: S3's 1..10,000 parts and 5 MiB..5 GiB parts, or no plan at all.
ALTER TABLE "files" ADD CONSTRAINT "files_multipart_plan_valid" CHECK (
    ("part_count" IS NULL AND "part_size" IS NULL)
    OR ("part_count" BETWEEN 1 AND 10000 AND "part_size" BETWEEN 5242880 AND 5368709120)
);
