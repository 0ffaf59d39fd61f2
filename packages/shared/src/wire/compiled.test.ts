/**
 * The compiled parsers are an optimisation of the schemas, never a second definition: the
 * generated module must be what the schemas compile to today, and on every input the compiled
 * path must answer as zod's runtime parser does.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { uuidv7 } from "../ids/index.ts";
import { LIMITS } from "../limits/index.ts";
import { compiledParsersModule } from "./compile.ts";
import { collectBatch, ingestMessage } from "./index.ts";
import { parseCollectBatch, parseIngestMessage } from "./parsers.gen.ts";
import * as schema from "./schema.ts";

const INVALID = Symbol.for("zod.compile.invalid");
const L = LIMITS.collect;

const event = () => ({
  type: "pageview",
  id: uuidv7(),
  ts: Date.now(),
  url: "https://a.example/pricing?plan=pro",
  referrer: "https://www.google.com/",
  title: "Pricing",
});
const validBatch = () => ({
  v: 1,
  siteKey: "key_0123456789",
  sessionId: uuidv7(),
  sentAt: Date.now(),
  events: [event(), event()],
});
const validMessage = () => ({
  v: 1,
  siteId: "site_0123",
  shards: 2,
  sessionId: uuidv7(),
  receivedAt: Date.now(),
  country: "NL",
  device: "mobile",
  events: [{ id: uuidv7(), ts: Date.now(), path: "/pricing", ref: "google.com" }],
});

/** Values that probe types, bounds and code points (an astral character is two UTF-16 units). */
const ODD: unknown[] = [
  undefined,
  null,
  true,
  0,
  -1,
  1.5,
  2 ** 53,
  "",
  "x",
  "x".repeat(L.maxSiteKeyLength + 1),
  "😀".repeat(L.maxSiteKeyLength),
  "😀".repeat(L.maxTitleLength + 1),
  "u".repeat(L.maxUrlLength + 1),
  "0190b6a1-2c3d-4e5f-8a9b-0c1d2e3f4a5b",
  "0190B6A1-2C3D-7E5F-AA9B-0C1D2E3F4A5B",
  [],
  {},
  "pageview",
  "desktop",
];

/** Every way of replacing or removing one field, at the top level and in the first event. */
function* mutations(base: () => Record<string, unknown>): Generator<unknown> {
  const top = base();
  for (const key of Object.keys(top)) {
    for (const odd of ODD) yield { ...base(), [key]: odd };
    const { [key]: _, ...without } = base();
    yield without;
  }
  const first = (top.events as Record<string, unknown>[])[0] as Record<string, unknown>;
  for (const key of [...Object.keys(first), "extra"]) {
    for (const odd of ODD) {
      const b = base();
      const events = b.events as Record<string, unknown>[];
      events[0] = { ...events[0], [key]: odd };
      yield b;
    }
    const b = base();
    const events = b.events as Record<string, unknown>[];
    const { [key]: _, ...without } = events[0] as Record<string, unknown>;
    events[0] = without;
    yield b;
  }
  for (const n of [0, 1, L.maxEventsPerBatch, L.maxEventsPerBatch + 1]) {
    const b = base();
    const one = (b.events as unknown[])[0];
    yield { ...b, events: Array.from({ length: n }, () => one) };
  }
  yield null;
  yield [];
  yield "batch";
}

const cases = [
  ["collectBatch", schema.collectBatch, collectBatch, parseCollectBatch, validBatch],
  ["ingestMessage", schema.ingestMessage, ingestMessage, parseIngestMessage, validMessage],
] as const;

describe("compiled wire parsers", () => {
  it("are what the schemas compile to now (run `pnpm --filter @sightline/shared gen` if not)", () => {
    const committed = readFileSync(new URL("./parsers.gen.ts", import.meta.url), "utf8");
    expect(committed).toBe(compiledParsersModule());
  });

  for (const [name, runtime, exported, compiled, valid] of cases) {
    it(`${name}: answer as zod's runtime parser on valid and mutated input`, () => {
      let accepted = 0;
      let refused = 0;
      for (const input of [valid(), ...mutations(valid)]) {
        const want = runtime.safeParse(input);
        const fast = (compiled as (i: unknown) => unknown)(input);
        if (fast === INVALID) {
          // zod's compiler marks these parsers definite: INVALID means the runtime refuses too.
          expect(want.success, JSON.stringify(input)).toBe(false);
          refused++;
        } else {
          expect(want.success, JSON.stringify(input)).toBe(true);
          expect(fast).toEqual(want.data);
          accepted++;
        }
        const got = exported.safeParse(input);
        expect(got.success).toBe(want.success);
        if (got.success) expect(got.data).toEqual(want.data);
        else expect(got.error?.issues).toEqual(want.error?.issues);
      }
      expect(accepted).toBeGreaterThan(10);
      expect(refused).toBeGreaterThan(50);
    });

    it(`${name}: takes the compiled path for a valid input`, () => {
      expect((compiled as (i: unknown) => unknown)(valid())).not.toBe(INVALID);
    });
  }
});
