-- CreateTable
CREATE TABLE "storage_sweeps" (
    "prefix" TEXT NOT NULL,
    "sweep_after" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "storage_sweeps_pkey" PRIMARY KEY ("prefix")
);

-- CreateIndex
CREATE INDEX "storage_sweeps_sweep_after_idx" ON "storage_sweeps"("sweep_after");
