CREATE TABLE "quota_days" (
	"site_id" text NOT NULL,
	"day" date NOT NULL,
	"reached_at" timestamp with time zone NOT NULL,
	CONSTRAINT "quota_days_site_id_day_pk" PRIMARY KEY("site_id","day")
);
--> statement-breakpoint
ALTER TABLE "sites" ADD COLUMN "hash_routes" boolean DEFAULT true NOT NULL;--> statement-breakpoint
ALTER TABLE "sites" ADD COLUMN "time_zone" text DEFAULT 'UTC' NOT NULL;--> statement-breakpoint
ALTER TABLE "site_stats_hourly" ADD COLUMN "visitors" bigint DEFAULT 0 NOT NULL;