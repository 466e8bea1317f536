-- Credentials written in an endpoint URL (user info) leave the URL: they are sealed in this column and sent as
-- HTTP Basic auth. Rows written before still hold them in "url": the re-seal pass (SecretResealService) moves
-- them here, and until it has, the worker and the API split them off whenever they read such a row.
ALTER TABLE "endpoints" ADD COLUMN "url_credentials" TEXT;
