-- A heatmap read sums one page's rows over a range of days (a few thousand to tens of thousands
-- of rows). Since 0011 put every variant's rows beside all visitors' ones, the tables are large
-- enough that the planner picks a parallel bitmap scan, and starting its workers cost more than
-- the scan: bench/heatmaps.ts over 1,000,000 clicks, p50 71 ms with workers, 30 ms without
-- (local Postgres 15, 2 cores). No parallel workers for these two tables; other tables keep theirs.
ALTER TABLE "heatmap_elements" SET (parallel_workers = 0);--> statement-breakpoint
ALTER TABLE "heatmap_cells" SET (parallel_workers = 0);
