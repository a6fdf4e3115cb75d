-- The time each registration attempt was made, kept by its code across resends (a resend gives
-- the attempt a new code with the same expiry); the verification mail names it. Codes made before
-- this column existed were made at their registration or a resend; created_at is the best record.
-- AlterTable
ALTER TABLE "otp_codes" ADD COLUMN     "registered_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP;

UPDATE "otp_codes" SET "registered_at" = "created_at";
