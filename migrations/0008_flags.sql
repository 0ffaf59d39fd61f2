CREATE TABLE "flag_audit" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "flag_audit_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"site_id" text NOT NULL,
	"flag_key" text NOT NULL,
	"action" text NOT NULL,
	"actor" text NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"before" json,
	"after" json
);
--> statement-breakpoint
CREATE TABLE "flags" (
	"site_id" text NOT NULL,
	"key" text NOT NULL,
	"definition" json NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "flags_site_id_key_pk" PRIMARY KEY("site_id","key")
);
--> statement-breakpoint
CREATE INDEX "flag_audit_site_key_id" ON "flag_audit" USING btree ("site_id","flag_key","id" DESC NULLS LAST);