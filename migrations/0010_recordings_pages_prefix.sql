-- Written by hand above the generated index: Drizzle declares neither extensions nor functions.
-- The list's page prefix filter matches recordings_pages_text(pages) LIKE '%<prefix>%' through
-- the trigram index, then rechecks each element. array_to_string is only STABLE (other element
-- types print by settings); over text[] it depends on nothing, so the wrapper is IMMUTABLE.
CREATE EXTENSION IF NOT EXISTS pg_trgm;--> statement-breakpoint
CREATE FUNCTION recordings_pages_text(pages text[]) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT pg_catalog.array_to_string(pages, E'\n') $$;--> statement-breakpoint
CREATE INDEX "recordings_pages_trgm_idx" ON "recordings" USING gin (recordings_pages_text("pages") gin_trgm_ops);
