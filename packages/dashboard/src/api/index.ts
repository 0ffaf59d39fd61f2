/** Typed calls for each API route the dashboard uses. */
import { type ClientOptions, createRequester, type RequestOptions } from "./client.ts";
import type {
  Account,
  Breakdown,
  BreakdownRow,
  DeadLetterReplay,
  Flag,
  FlagChange,
  FlagChanges,
  FlagDefinition,
  FlagVariantRow,
  FrustrationRow,
  HeatDevice,
  Heatmap,
  HeatmapType,
  Interval,
  Maintenance,
  Me,
  Page,
  PageRow,
  PageSnapshot,
  PipelineHealth,
  QuotaDay,
  Recording,
  RecordingFilters,
  RecordingSummary,
  RrwebEvent,
  Site,
  SiteInput,
  Timeseries,
} from "./types.ts";

export { ApiError, type ApiResult, isAbort } from "./client.ts";
export type * from "./types.ts";

/** Whole UTC days, first and last included ("2026-12-01"): the heatmap routes' range. */
export interface UtcDays {
  from: string;
  to: string;
}

export interface StatsQuery {
  from: Date;
  to: Date;
  signal?: AbortSignal;
}

type Opts = Pick<RequestOptions, "signal">;

export function createApi(options: ClientOptions = {}) {
  const request = createRequester(options);
  const range = (q: StatsQuery) => ({ from: q.from.toISOString(), to: q.to.toISOString() });
  const site = (id: string) => `/v1/sites/${encodeURIComponent(id)}`;
  const flag = (id: string, key: string) => `${site(id)}/flags/${encodeURIComponent(key)}`;
  return {
    setupNeeded: (o: Opts = {}) => request<{ needed: boolean }>("/v1/setup", { ...o, redirectOn401: false }),
    setup: (body: { setupToken: string; email: string; password: string }) =>
      request<{ account: Account }>("/v1/setup", { method: "POST", body, redirectOn401: false }),
    login: (body: { email: string; password: string }) =>
      request<{ account: Account }>("/v1/auth/login", { method: "POST", body, redirectOn401: false }),
    logout: () => request<void>("/v1/auth/logout", { method: "POST", redirectOn401: false }),
    me: (o: Opts = {}) => request<Me>("/v1/me", { ...o, redirectOn401: false }),

    listSites: (q: { cursor?: string; limit?: number } & Opts = {}) =>
      request<Page<Site>>("/v1/sites", { signal: q.signal, query: { limit: q.limit, cursor: q.cursor } }),
    createSite: (body: SiteInput) => request<Site>("/v1/sites", { method: "POST", body }),
    getSite: (id: string, o: Opts = {}) => request<Site>(site(id), o),
    updateSite: (id: string, body: Partial<SiteInput>) => request<Site>(site(id), { method: "PATCH", body }),
    deleteSite: (id: string) => request<void>(site(id), { method: "DELETE" }),

    timeseries: (id: string, q: StatsQuery & { interval: Interval }) =>
      request<Timeseries>(`${site(id)}/stats/timeseries`, {
        signal: q.signal,
        query: { ...range(q), interval: q.interval },
      }),
    pages: (id: string, q: StatsQuery & { limit?: number }) =>
      request<{ items: PageRow[] }>(`${site(id)}/stats/pages`, {
        signal: q.signal,
        query: { ...range(q), limit: q.limit },
      }),
    breakdown: (id: string, kind: Breakdown, q: StatsQuery & { limit?: number }) =>
      request<{ items: BreakdownRow[] }>(`${site(id)}/stats/${kind}`, {
        signal: q.signal,
        query: { ...range(q), limit: q.limit },
      }),
    quotaDays: (id: string, q: StatsQuery) =>
      request<{ days: QuotaDay[] }>(`${site(id)}/stats/quota-days`, { signal: q.signal, query: range(q) }),

    listRecordings: (id: string, q: RecordingFilters & { cursor?: string; limit?: number } & Opts = {}) => {
      const { signal, hasRageClicks, hasErrors, ...rest } = q;
      return request<Page<RecordingSummary>>(`${site(id)}/recordings`, {
        signal,
        query: {
          ...rest,
          hasRageClicks: hasRageClicks === undefined ? undefined : String(hasRageClicks),
          hasErrors: hasErrors === undefined ? undefined : String(hasErrors),
        },
      });
    },
    getRecording: (id: string, recordingId: string, o: Opts = {}) =>
      request<Recording>(`${site(id)}/recordings/${encodeURIComponent(recordingId)}`, o),
    recordingEvents: (id: string, recordingId: string, o: Opts = {}) =>
      request<RrwebEvent[]>(`${site(id)}/recordings/${encodeURIComponent(recordingId)}/events`, o),
    deleteRecording: (id: string, recordingId: string) =>
      request<void>(`${site(id)}/recordings/${encodeURIComponent(recordingId)}`, { method: "DELETE" }),

    /** `variant`: only visitors served it (`<flag key>=<variant>`); absent or "": all visitors. */
    heatmap: (
      id: string,
      q: { path: string; device: HeatDevice; type: HeatmapType; variant?: string } & UtcDays & Opts,
    ) =>
      request<Heatmap>(`${site(id)}/heatmaps`, {
        signal: q.signal,
        query: {
          path: q.path,
          device: q.device,
          type: q.type,
          from: q.from,
          to: q.to,
          variant: q.variant || undefined,
        },
      }),
    frustration: (id: string, q: UtcDays & { variant?: string } & Opts) =>
      request<{ items: FrustrationRow[] }>(`${site(id)}/frustration`, {
        signal: q.signal,
        query: { from: q.from, to: q.to, variant: q.variant || undefined },
      }),
    heatmapSnapshot: (id: string, q: { path: string; device: HeatDevice } & Opts) =>
      request<PageSnapshot>(`${site(id)}/heatmaps/snapshot`, {
        signal: q.signal,
        query: { path: q.path, device: q.device },
      }),

    listFlags: (id: string, o: Opts = {}) => request<{ items: Flag[] }>(`${site(id)}/flags`, o),
    getFlag: (id: string, key: string, o: Opts = {}) => request<Flag>(flag(id, key), o),
    createFlag: (id: string, body: FlagDefinition) => request<Flag>(`${site(id)}/flags`, { method: "POST", body }),
    updateFlag: (id: string, key: string, body: FlagChanges) => request<Flag>(flag(id, key), { method: "PATCH", body }),
    deleteFlag: (id: string, key: string) => request<void>(flag(id, key), { method: "DELETE" }),
    flagVariants: (id: string, key: string, q: { from: Date; to: Date } & Opts) =>
      request<{ items: FlagVariantRow[] }>(`${flag(id, key)}/variants`, {
        signal: q.signal,
        query: { from: q.from.toISOString(), to: q.to.toISOString() },
      }),
    flagHistory: (id: string, key: string, q: { cursor?: string; limit?: number } & Opts = {}) =>
      request<Page<FlagChange>>(`${flag(id, key)}/history`, {
        signal: q.signal,
        query: { limit: q.limit, cursor: q.cursor },
      }),

    maintenance: (o: Opts = {}) => request<Maintenance>("/v1/maintenance", { ...o, redirectOn401: false }),
    setMaintenance: (flip: { on: boolean; message?: string }) =>
      request<Maintenance>("/v1/maintenance", { method: "PUT", body: flip }),
    siteMaintenance: (id: string, o: Opts = {}) => request<Maintenance>(`${site(id)}/maintenance`, o),
    setSiteMaintenance: (id: string, flip: { on: boolean; message?: string }) =>
      request<Maintenance>(`${site(id)}/maintenance`, { method: "PUT", body: flip }),

    pipelineHealth: (q: { cursor?: string; limit?: number } & Opts = {}) =>
      request<PipelineHealth>("/v1/health/pipeline", { signal: q.signal, query: { limit: q.limit, cursor: q.cursor } }),
    replayDeadLetters: () => request<DeadLetterReplay>("/v1/admin/dead-letters/replay", { method: "POST" }),
  };
}

export type Api = ReturnType<typeof createApi>;
