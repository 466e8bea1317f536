-- Receivers, issue 10: a JSONLogic payload filter checked at fan-out, and the OAuth2 client configuration the
-- worker uses to get a bearer token for the receiver (its client secret and refresh token sealed inside).
-- Both nullable without defaults: adding them rewrites no rows.
-- AlterTable
ALTER TABLE "endpoints" ADD COLUMN     "oauth" JSONB,
ADD COLUMN     "payload_filter" JSONB;
