ALTER TABLE "recordings" ADD COLUMN "flags" text[] DEFAULT '{}'::text[] NOT NULL;--> statement-breakpoint
CREATE INDEX "recordings_flags_idx" ON "recordings" USING gin ("flags");