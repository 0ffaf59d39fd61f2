-- Generated, then reordered by hand: drizzle-kit put each new primary key before the column it
-- names. Heat rows made before variants are all visitors' (''); the key puts the variant before
-- the day, so a read of all visitors is one range of it as before.
ALTER TABLE "heatmap_cells" ADD COLUMN "variant" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "heatmap_elements" ADD COLUMN "variant" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "heatmap_cells" DROP CONSTRAINT "heatmap_cells_site_id_path_device_kind_day_cell_pk";--> statement-breakpoint
ALTER TABLE "heatmap_elements" DROP CONSTRAINT "heatmap_elements_site_id_path_device_kind_day_selector_pk";--> statement-breakpoint
ALTER TABLE "heatmap_cells" ADD CONSTRAINT "heatmap_cells_pk" PRIMARY KEY("site_id","path","device","kind","variant","day","cell");--> statement-breakpoint
ALTER TABLE "heatmap_elements" ADD CONSTRAINT "heatmap_elements_pk" PRIMARY KEY("site_id","path","device","kind","variant","day","selector");--> statement-breakpoint
DROP INDEX "heatmap_elements_site_kind_day";--> statement-breakpoint
CREATE INDEX "heatmap_elements_site_kind_day_variant" ON "heatmap_elements" USING btree ("site_id","kind","day","variant");
