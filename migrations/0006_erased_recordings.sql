CREATE TABLE "erased_recordings" (
	"site_id" text NOT NULL,
	"session_id" text NOT NULL,
	"erased_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "erased_recordings_site_id_session_id_pk" PRIMARY KEY("site_id","session_id")
);
