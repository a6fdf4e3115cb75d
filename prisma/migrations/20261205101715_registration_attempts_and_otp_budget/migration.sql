-- Each registration attempt keeps its own password with its own code (otp_codes.password_hash),
-- so a re-registration can never change the password another attempt's code verifies; and one
-- budget of code guesses per e-mail address across all its codes (otp_attempt_budgets, owned by
-- the otp module).
-- AlterTable
ALTER TABLE "otp_codes" ADD COLUMN     "password_hash" TEXT;

-- CreateTable
CREATE TABLE "otp_attempt_budgets" (
    "email" TEXT NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "window_started_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "otp_attempt_budgets_pkey" PRIMARY KEY ("email")
);

-- CreateIndex
CREATE INDEX "otp_attempt_budgets_window_started_at_idx" ON "otp_attempt_budgets"("window_started_at");
