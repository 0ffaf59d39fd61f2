/**
 * Sends one body to `/v1/collect`. text/plain is a CORS-safelisted type, so no preflight;
 * the server parses JSON regardless.
 */
export const CONTENT_TYPE = "text/plain;charset=UTF-8";

export type Outcome = "sent" | "retry" | "drop";

export type Fetch = (url: string, init: RequestInit) => Promise<{ status: number; json(): Promise<unknown> }>;
export type Beacon = (url: string, data: Blob) => boolean;

/** 429 and 5xx are worth another try; any other 4xx is bad input and would fail again. */
export function classify(status: number): Outcome {
  if (status < 300) return "sent";
  return status === 429 || status >= 500 ? "retry" : "drop";
}

export function transport(url: string, fetch: Fetch, beacon?: Beacon) {
  /** `unloading`: the page may be gone before a fetch resolves, so prefer sendBeacon. */
  return async (body: string, unloading: boolean): Promise<Outcome> => {
    if (unloading && beacon) {
      try {
        // sendBeacon answers false when its quota is full; keepalive fetch may still get through.
        if (beacon(url, new Blob([body], { type: CONTENT_TYPE }))) return "sent";
      } catch {}
    }
    try {
      const res = await fetch(url, {
        method: "POST",
        body,
        headers: { "Content-Type": CONTENT_TYPE },
        keepalive: true,
        credentials: "omit",
      });
      return classify(res.status);
    } catch {
      return "retry";
    }
  };
}

export type Send = ReturnType<typeof transport>;
