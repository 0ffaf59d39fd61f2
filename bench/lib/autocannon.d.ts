// autocannon ships no types; this is the slice of its API the fallback load uses.
declare module "autocannon" {
  interface Options {
    url: string;
    method?: string;
    body?: string;
    headers?: Record<string, string>;
    connections?: number;
    duration?: number;
    timeout?: number;
    /** Per-request hook: the request autocannon is about to send, and what to send instead. */
    requests?: { setupRequest?: (req: { headers?: Record<string, string> }) => object }[];
  }
  interface Result {
    duration: number;
    errors: number;
    timeouts: number;
    non2xx: number;
    "2xx": number;
    latency: { p50: number; p90: number; p99: number; max: number; mean: number };
    requests: { total: number; sent: number };
  }
  function autocannon(opts: Options): Promise<Result>;
  // biome-ignore lint/style/noDefaultExport: autocannon's CommonJS export is the function itself.
  export default autocannon;
}
