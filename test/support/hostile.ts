/**
 * Hostile input for the workers' property tests (workers/* /test/hostile.test.ts): fast-check
 * arbitraries for what a client can send (unicode edge cases, malformed and deep JSON, odd
 * methods and content types, header values), the one check every answer must pass, and the
 * run's seed and request count.
 *
 * The seed is `FC_SEED` (a number, or `random`), else DEFAULT_SEED, so that `pnpm test` is
 * the same run every time and a failure anywhere is replayed with `FC_SEED=<seed>`.
 */
import { ERROR_CODES, ERROR_STATUS } from "@sightline/shared/errors";
import fc from "fast-check";

export const DEFAULT_SEED = 20261205;

/** The seed of this run: FC_SEED (a number, or "random"), else the fixed default. */
export function propertySeed(): number {
  const raw = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.FC_SEED ?? "";
  if (raw === "") return DEFAULT_SEED;
  if (raw === "random") return Math.floor(Math.random() * 2 ** 31);
  const n = Number(raw);
  if (!Number.isSafeInteger(n)) throw new Error(`FC_SEED must be an integer or "random", not ${JSON.stringify(raw)}`);
  return n;
}

/** Strings that have broken parsers, URL handling, logs and databases before. */
const NASTY: readonly string[] = [
  "",
  "\u0000",
  "a\u0000b",
  "\uD800",
  "\uDFFF",
  "x\uDC00y\uD83D",
  "\u202Egnp.exe",
  "\u200F\u200E\u061C",
  "\uFEFF",
  "\u200B\u200D",
  "😀",
  "👨‍👩‍👧‍👦",
  "e\u0301\u0301\u0301",
  "\u0130\u0131ß",
  "\uFFFD\uFFFE\uFFFF",
  "\u{10FFFF}",
  "%00",
  "%ZZ",
  "%E0%A4%A",
  "%C0%AF",
  "%uD800",
  "../../../etc/passwd",
  "..\\..\\windows",
  "__proto__",
  "constructor",
  "prototype",
  "toString",
  "<script>alert(1)</script>",
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a template-injection probe, meant literally
  "${7*7}{{7*7}}",
  "'; DROP TABLE sites;--",
  "' OR '1'='1",
  "\r\nSet-Cookie: x=1",
  "null",
  "undefined",
  "NaN",
  "-0",
  "1e309",
  "0x1F",
  "javascript:alert(1)",
  "data:text/html,<b>x</b>",
  "https://[::1",
  "https://shop.example:99999/",
  "http://user:pass@shop.example/",
  "https://xn--80ak6aa92e.com/",
  "\\\\server\\share",
];

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));

/** One unit of hostile text: any code point, a lone surrogate, a control or a bidi character. */
const hostileUnit = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: "binary", minLength: 1, maxLength: 1 }) },
  { weight: 2, arbitrary: fc.string({ unit: "grapheme", minLength: 1, maxLength: 1 }) },
  { weight: 1, arbitrary: loneSurrogate },
  { weight: 1, arbitrary: fc.constantFrom("\u0000", "\u202E", "\u202D", "\u2066", "\u200F", "\uFEFF", "\u0085") },
);

/** Short hostile text. */
export const hostileText = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: hostileUnit, maxLength: 40 }) },
  { weight: 2, arbitrary: fc.constantFrom(...NASTY) },
  { weight: 1, arbitrary: fc.string({ unit: "grapheme-ascii", maxLength: 40 }) },
);

/** Hostile text up to very long: a short piece repeated up to `max` UTF-16 units. */
export function longText(max: number): fc.Arbitrary<string> {
  return fc
    .tuple(fc.oneof(fc.constantFrom("x", "😀", "\uD800", "\u0000", "%", "é"), hostileText), fc.nat(max))
    .map(([piece, n]) => (piece === "" ? "" : piece.repeat(Math.ceil(n / piece.length)).slice(0, n)));
}

/** Any text a field may receive: mostly short, sometimes very long. */
export function hostileString(maxLong = 20_000): fc.Arbitrary<string> {
  return fc.oneof({ weight: 4, arbitrary: hostileText }, { weight: 1, arbitrary: longText(maxLong) });
}

/** A JSON text nested `depth` levels deep, as arrays, objects or both. */
export const deepJson = fc
  .tuple(fc.integer({ min: 1, max: 20_000 }), fc.constantFrom("array", "object", "mixed"))
  .map(([depth, kind]) => {
    if (kind === "array") return `${"[".repeat(depth)}1${"]".repeat(depth)}`;
    if (kind === "object") return `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`;
    return `${'{"a":['.repeat(depth)}1${"]}".repeat(depth)}`;
  });

/** A value nested `depth` levels deep, built without recursion. */
export function deepValue(depth: number): unknown {
  let v: unknown = "leaf";
  for (let i = 0; i < depth; i++) v = i % 2 ? [v] : { a: v };
  return v;
}

/** Values of the wrong type, huge, deep or odd, for any field of a JSON body. */
export function hostileValue(maxLong = 20_000): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 4, arbitrary: hostileString(maxLong) },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        null,
        true,
        false,
        0,
        -0,
        -1,
        1.5,
        2 ** 31,
        2 ** 53 + 2,
        -(2 ** 63),
        1e308,
        Number.MIN_VALUE,
        [],
        {},
        [null],
        { __proto__: null, constructor: { prototype: { polluted: 1 } } },
      ),
    },
    { weight: 1, arbitrary: fc.double() },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: 3_000 }).map(deepValue) },
    { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 4 }) },
    { weight: 1, arbitrary: fc.array(hostileText, { maxLength: 300 }) },
  );
}

/** Malformed or merely surprising JSON text. */
export const malformedJson = fc.oneof(
  fc.constantFrom(
    "",
    " ",
    "{",
    "}",
    "[",
    "{]",
    '{"a":}',
    '{"a":1,}',
    "[1,2,,3]",
    "{'a':1}",
    '{"a":NaN}',
    '{"a":Infinity}',
    '{"a":undefined}',
    '{"a":01}',
    '{"a":1e99999}',
    '{"a":"\\uD800"}',
    '{"a":"\\u12"}',
    '{"a":"\u0000"}',
    '"\\',
    "\uFEFF{}",
    "null",
    "true",
    "0",
    '"str"',
    "[]",
    '{"__proto__":{"x":1}}',
    '{"a":1,"a":2}',
    "/* c */{}",
    "{}garbage",
  ),
  fc.string({ unit: hostileUnit, maxLength: 200 }),
  fc.jsonValue().map((v) => {
    const s = JSON.stringify(v) ?? "null";
    return s.slice(0, Math.max(0, s.length - 1));
  }),
  deepJson,
);

/** Header characters: ASCII (workerd's fetch would send others as UTF-8, warning each time). */
const headerUnit = fc.integer({ min: 1, max: 0x7f }).map((c) => (c === 10 || c === 13 ? " " : String.fromCharCode(c)));

/** A header value a client can send: no NUL, CR or LF (the Fetch API refuses them). */
export function headerValue(maxLength = 200): fc.Arbitrary<string> {
  return fc.oneof(
    fc.string({ unit: headerUnit, maxLength }),
    fc.constantFrom("", " ", "\t", "null", "undefined", "%00", "\u0001\u007f", "a".repeat(maxLength)),
  );
}

/**
 * Methods a client can send through workerd's fetch: the standard ones, WebDAV's and a few
 * more that its HTTP layer knows (it refuses others, e.g. LINK or FOO, before any worker runs),
 * in any case (only the standard ones are upper-cased by the Fetch API).
 */
export const anyMethod = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS") },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      "PROPFIND",
      "MKCOL",
      "COPY",
      "MOVE",
      "PURGE",
      "QUERY",
      "REPORT",
      "SEARCH",
      "MSEARCH",
      "get",
      "post",
      "patch",
      "Delete",
    ),
  },
);

/** Whether the Fetch API refuses a body for this method. */
export const bodiless = (method: string) => ["GET", "HEAD"].includes(method.toUpperCase());

export const contentType = fc.oneof(
  fc.constantFrom(
    "application/json",
    "application/json; charset=utf-8",
    "APPLICATION/JSON",
    "application/json;charset=utf-16",
    'application/json; charset="nonsense"',
    "text/plain",
    "text/plain;charset=UTF-8",
    "text/html",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "multipart/form-data",
    "application/xml",
    "application/octet-stream",
    "application/vnd.api+json",
    "application/jsonp",
    "*/*",
    ";",
    "",
  ),
  headerValue(80),
);

export interface SentRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string | Uint8Array | "stream";
}

/** What every answer to a hostile request must be: no 5xx, the one error shape, no internals. */
export async function expectSafeAnswer(res: Response, req: SentRequest): Promise<void> {
  const where = `${req.method} ${req.url.slice(0, 300)}`;
  const text = await res.text();
  if (res.status >= 500) throw new Error(`${where} answered ${res.status}: ${text.slice(0, 500)}`);
  for (const leak of LEAKS) {
    if (leak.test(text))
      throw new Error(`${where} answered ${res.status} with internal detail (${leak}): ${text.slice(0, 500)}`);
  }
  if (res.status < 400) return;
  if (req.method.toUpperCase() === "HEAD" && text === "") return;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`${where} answered ${res.status} with a body that is not JSON: ${text.slice(0, 300)}`);
  }
  const error = (body as { error?: Record<string, unknown> } | null)?.error;
  const ok =
    body !== null &&
    typeof body === "object" &&
    Object.keys(body).length === 1 &&
    error !== null &&
    typeof error === "object" &&
    Object.keys(error).sort().join(",") === "code,message,requestId" &&
    typeof error.code === "string" &&
    typeof error.message === "string" &&
    typeof error.requestId === "string" &&
    error.requestId.length > 0 &&
    (ERROR_CODES as readonly string[]).includes(error.code) &&
    ERROR_STATUS[error.code as (typeof ERROR_CODES)[number]] === res.status;
  if (!ok) throw new Error(`${where} answered ${res.status} outside the error shape: ${text.slice(0, 300)}`);
  if (!(res.headers.get("content-type") ?? "").startsWith("application/json")) {
    throw new Error(`${where} answered ${res.status} as ${res.headers.get("content-type")}`);
  }
}

/** What a stack trace, a source location or a configuration value looks like in a body. */
const LEAKS: readonly RegExp[] = [
  /\bat [\w$.<>[\] ]+ \(?[^\s()]+:\d+:\d+\)?/,
  /\.(ts|js|mjs):\d+/,
  /node_modules/,
  /file:\/\//,
  /\/work\/|\/home\/|\/tmp\//,
  /postgres(ql)?:\/\//,
  /\b(SyntaxError|TypeError|ReferenceError|RangeError|DrizzleQueryError|NeonDbError|PostgresError)\b/,
];

/** Counts the requests a file sends and says, at the end, how many and with which seed. */
export class RequestTally {
  readonly byGroup = new Map<string, number>();
  readonly byStatus = new Map<number, number>();
  total = 0;

  constructor(
    readonly file: string,
    readonly seed: number,
  ) {}

  add(group: string, status: number): void {
    this.total++;
    this.byGroup.set(group, (this.byGroup.get(group) ?? 0) + 1);
    this.byStatus.set(status, (this.byStatus.get(status) ?? 0) + 1);
  }

  summary(): string {
    const groups = [...this.byGroup].map(([g, n]) => `${g} ${n}`).join(", ");
    const statuses = [...this.byStatus]
      .sort((a, b) => a[0] - b[0])
      .map(([s, n]) => `${s}:${n}`)
      .join(" ");
    return `${this.file}: ${this.total} hostile requests (${groups}); statuses ${statuses}; seed ${this.seed} (FC_SEED=${this.seed} replays it)`;
  }
}
