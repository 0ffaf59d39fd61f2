CREATE TABLE "sites" (
	"id" text PRIMARY KEY NOT NULL,
	"key" text NOT NULL,
	"name" text NOT NULL,
	"origins" text[] DEFAULT '{}'::text[] NOT NULL,
	"shards" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "sites_key_unique" UNIQUE("key")
);
--> statement-breakpoint
CREATE TABLE "flush_log" (
	"flush_id" text PRIMARY KEY NOT NULL,
	"site_id" text NOT NULL,
	"shard" integer NOT NULL,
	"rows" integer NOT NULL,
	"flushed_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "page_stats_hourly" (
	"site_id" text NOT NULL,
	"hour" timestamp with time zone NOT NULL,
	"path" text NOT NULL,
	"pageviews" bigint DEFAULT 0 NOT NULL,
	"sessions" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "page_stats_hourly_site_id_hour_path_pk" PRIMARY KEY("site_id","hour","path")
);
