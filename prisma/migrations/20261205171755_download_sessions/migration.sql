-- Download sessions (issue 19): one counted download of a share link, fetched in many ranged requests and resumable, without counting again.

-- CreateTable
CREATE TABLE "download_sessions" (
    "token_hash" BYTEA NOT NULL,
    "file_id" UUID NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "download_sessions_pkey" PRIMARY KEY ("token_hash")
);

-- CreateIndex
CREATE INDEX "download_sessions_file_id_idx" ON "download_sessions"("file_id");

-- CreateIndex
CREATE INDEX "download_sessions_expires_at_idx" ON "download_sessions"("expires_at");

-- AddForeignKey
ALTER TABLE "download_sessions" ADD CONSTRAINT "download_sessions_file_id_fkey" FOREIGN KEY ("file_id") REFERENCES "files"("id") ON DELETE CASCADE ON UPDATE CASCADE;
