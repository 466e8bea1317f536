-- Content expunge (DELETE /msg/{id}/content, POST /msg/bulk-expunge): the payload is replaced by `{}` and the
-- message is marked, so it reads back empty and is never sent or resent again.
-- AlterTable
ALTER TABLE "messages" ADD COLUMN "expunged_at" TIMESTAMPTZ(3);
