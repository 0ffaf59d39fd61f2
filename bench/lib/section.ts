/** What bench/run.ts hands every section. */
export interface SectionHooks {
  /** Registers a cleanup that runs on exit, a failure or Ctrl-C; call the result once it has run. */
  track: (cleanup: () => Promise<void>) => () => void;
  /** A progress line, timestamped by run.ts. */
  log: (line: string) => void;
}
