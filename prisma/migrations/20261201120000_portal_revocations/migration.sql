-- Consumer-portal token revocations (expire-all, per session, logout). Tokens are JWTs, and these few rows per
-- application are what every portal request checks besides the signature.
-- CreateTable
CREATE TABLE "portal_revocations" (
    "id" TEXT NOT NULL,
    "tenant_id" TEXT NOT NULL,
    "application_id" TEXT NOT NULL,
    "session_id" TEXT,
    "token_id" TEXT,
    "issued_before" TIMESTAMPTZ(3) NOT NULL,
    "effective_at" TIMESTAMPTZ(3) NOT NULL,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "portal_revocations_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "portal_revocations_application_id_expires_at_idx" ON "portal_revocations"("application_id", "expires_at");

-- CreateIndex
CREATE INDEX "portal_revocations_tenant_id_idx" ON "portal_revocations"("tenant_id");

-- AddForeignKey
ALTER TABLE "portal_revocations" ADD CONSTRAINT "portal_revocations_application_id_fkey" FOREIGN KEY ("application_id") REFERENCES "applications"("id") ON DELETE CASCADE ON UPDATE CASCADE;

