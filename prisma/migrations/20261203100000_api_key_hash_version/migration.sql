-- Secrets at rest, issue 9: API-key hashes record which master-key version (ENCRYPTION_KEY_VERSION) keyed
-- them, so ENCRYPTION_KEY can rotate: a key hashed under an older version is checked with that version's
-- subkey and re-hashed under the current one on its next use. Every hash so far was made under version 1.
-- A constant default: adding the column rewrites no rows.
-- AlterTable
ALTER TABLE "api_keys" ADD COLUMN     "hash_key_version" INTEGER NOT NULL DEFAULT 1;
