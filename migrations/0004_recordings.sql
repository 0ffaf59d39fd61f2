CREATE TABLE "recordings" (
	"id" text PRIMARY KEY NOT NULL,
	"site_id" text NOT NULL,
	"session_id" text NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"ended_at" timestamp with time zone NOT NULL,
	"duration_ms" bigint DEFAULT 0 NOT NULL,
	"active_ms" bigint DEFAULT 0 NOT NULL,
	"first_page" text DEFAULT '' NOT NULL,
	"pages" text[] DEFAULT '{}'::text[] NOT NULL,
	"clicks" integer DEFAULT 0 NOT NULL,
	"rage_clicks" integer DEFAULT 0 NOT NULL,
	"errors" integer DEFAULT 0 NOT NULL,
	"device" text DEFAULT 'desktop' NOT NULL,
	"country" text,
	"referrer" text,
	"bytes" bigint DEFAULT 0 NOT NULL,
	"chunks" integer DEFAULT 0 NOT NULL,
	"r2_prefix" text NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "sites" ADD COLUMN "recording_daily_quota" integer DEFAULT 10000 NOT NULL;--> statement-breakpoint
ALTER TABLE "sites" ADD COLUMN "recording_retention_days" integer DEFAULT 30 NOT NULL;--> statement-breakpoint
ALTER TABLE "sites" ADD COLUMN "mask_all_text" boolean DEFAULT false NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX "recordings_site_id_session_id_index" ON "recordings" USING btree ("site_id","session_id");--> statement-breakpoint
CREATE INDEX "recordings_site_id_started_at_id_index" ON "recordings" USING btree ("site_id","started_at" DESC NULLS LAST,"id");--> statement-breakpoint
CREATE INDEX "recordings_site_id_duration_ms_index" ON "recordings" USING btree ("site_id","duration_ms");--> statement-breakpoint
CREATE INDEX "recordings_site_id_active_ms_index" ON "recordings" USING btree ("site_id","active_ms");--> statement-breakpoint
CREATE INDEX "recordings_site_rage_idx" ON "recordings" USING btree ("site_id","started_at" DESC NULLS LAST) WHERE "recordings"."rage_clicks" > 0;--> statement-breakpoint
CREATE INDEX "recordings_site_errors_idx" ON "recordings" USING btree ("site_id","started_at" DESC NULLS LAST) WHERE "recordings"."errors" > 0;--> statement-breakpoint
CREATE INDEX "recordings_pages_idx" ON "recordings" USING gin ("pages");