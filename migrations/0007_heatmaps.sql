CREATE TABLE "heatmap_cells" (
	"site_id" text NOT NULL,
	"path" text NOT NULL,
	"device" text NOT NULL,
	"kind" text NOT NULL,
	"day" date NOT NULL,
	"cell" integer NOT NULL,
	"count" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "heatmap_cells_site_id_path_device_kind_day_cell_pk" PRIMARY KEY("site_id","path","device","kind","day","cell")
);
--> statement-breakpoint
CREATE TABLE "heatmap_elements" (
	"site_id" text NOT NULL,
	"path" text NOT NULL,
	"device" text NOT NULL,
	"kind" text NOT NULL,
	"day" date NOT NULL,
	"selector" text NOT NULL,
	"count" bigint DEFAULT 0 NOT NULL,
	"cells" integer[] NOT NULL,
	CONSTRAINT "heatmap_elements_site_id_path_device_kind_day_selector_pk" PRIMARY KEY("site_id","path","device","kind","day","selector")
);
--> statement-breakpoint
ALTER TABLE "sites" ADD COLUMN "heatmaps" boolean DEFAULT true NOT NULL;--> statement-breakpoint
CREATE INDEX "heatmap_cells_site_kind_day" ON "heatmap_cells" USING btree ("site_id","kind","day");--> statement-breakpoint
CREATE INDEX "heatmap_elements_site_kind_day" ON "heatmap_elements" USING btree ("site_id","kind","day");