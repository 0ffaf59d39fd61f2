/**
 * The flag routes against a real Postgres and the edge stand-in: every change is stored,
 * audited and published as the site's whole record, or none of it is.
 */
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { schema } from "@sightline/db";
import type { Flag, SiteFlags } from "@sightline/shared/flags";
import { LIMITS } from "@sightline/shared/limits";
import { FLAG_LIMITS } from "@sightline/shared/limits/flags";
import type { EdgeAdminRpc } from "@sightline/shared/site";
import { eq, sql } from "drizzle-orm";
import { describe, expect, it, vi } from "vitest";
import worker from "../src/index.ts";
import {
  api,
  BASE,
  createSite,
  createToken,
  type ErrorShape,
  expectMatchesDocument,
  OWNER,
  otherAccount,
  ownerCookie,
  withDb,
} from "./helpers.ts";

const LIST = "/v1/sites/{siteId}/flags";
const ONE = "/v1/sites/{siteId}/flags/{key}";
const HISTORY = "/v1/sites/{siteId}/flags/{key}/history";

const edge = () => env.EDGE as unknown as EdgeAdminRpc;

/** Variants and weights deliberately not in alphabetical order: the order is the split's. */
const CHECKOUT = {
  key: "new-checkout",
  description: "The one-page checkout",
  enabled: true,
  variants: { b: "blue", a: "amber" },
  defaultVariant: "a",
  offVariant: "a",
  rollout: { weights: { b: 3000, a: 7000 }, percentage: 50 },
  rules: [{ conditions: [{ attribute: "country", op: "in", value: ["DE", "FR"] }], variant: "b" }],
  seed: "checkout-1",
};

const simple = (key: string): Flag => ({
  key,
  enabled: true,
  variants: { on: true, off: false },
  defaultVariant: "on",
  offVariant: "off",
  rules: [],
});

type FlagBody = Flag & { createdAt: string; updatedAt: string };
type Change = { version: number; action: string; actor: string; at: string; before: Flag | null; after: Flag | null };

const flagsUrl = (siteId: string, key?: string, tail = "") =>
  `/v1/sites/${siteId}/flags${key === undefined ? "" : `/${encodeURIComponent(key)}`}${tail}`;

async function expectError(res: Response, method: string, path: string, status: number, code: string) {
  expect(res.status, await res.clone().text()).toBe(status);
  const body = (await expectMatchesDocument(method, path, res)) as ErrorShape;
  expect(body.error.code).toBe(code);
  return body.error.message;
}

async function create(cookie: string, siteId: string, flag: object = CHECKOUT): Promise<FlagBody> {
  const res = await api(flagsUrl(siteId), { method: "POST", cookie, json: flag });
  expect(res.status, await res.clone().text()).toBe(201);
  return (await expectMatchesDocument("POST", LIST, res)) as FlagBody;
}

async function history(
  cookie: string,
  siteId: string,
  key: string,
  query = "",
): Promise<{ items: Change[]; nextCursor: string | null }> {
  const res = await api(flagsUrl(siteId, key, `/history${query}`), { cookie });
  expect(res.status).toBe(200);
  return (await expectMatchesDocument("GET", HISTORY, res)) as { items: Change[]; nextCursor: string | null };
}

const published = (siteKey: string) => edge().getFlags(siteKey) as Promise<SiteFlags | null>;

describe("flags", () => {
  it("creates, reads, lists, changes and deletes a flag, each answer as documented", async () => {
    const cookie = await ownerCookie();
    const site = await createSite(cookie, "Flags CRUD");
    const created = await create(cookie, site.id);
    const { createdAt, updatedAt, ...definition } = created;
    expect(definition).toEqual(CHECKOUT);
    expect(Date.parse(createdAt)).toBeGreaterThan(0);
    expect(updatedAt).toBe(createdAt);

    const one = await api(flagsUrl(site.id, CHECKOUT.key), { cookie });
    expect(one.status).toBe(200);
    expect(await expectMatchesDocument("GET", ONE, one)).toEqual(created);

    await create(cookie, site.id, simple("a-first"));
    const list = await api(flagsUrl(site.id), { cookie });
    const items = ((await expectMatchesDocument("GET", LIST, list)) as { items: FlagBody[] }).items;
    expect(items.map((f) => f.key)).toEqual(["a-first", "new-checkout"]);

    const patch = await api(flagsUrl(site.id, CHECKOUT.key), {
      method: "PATCH",
      cookie,
      json: { enabled: false, description: null, rollout: null },
    });
    expect(patch.status, await patch.clone().text()).toBe(200);
    const changed = (await expectMatchesDocument("PATCH", ONE, patch)) as FlagBody;
    expect(changed).not.toHaveProperty("description");
    expect(changed).not.toHaveProperty("rollout");
    // Only what was sent changes; rules were not sent and keep their value.
    expect(changed).toMatchObject({ enabled: false, rules: CHECKOUT.rules, seed: "checkout-1", createdAt });

    const del = await api(flagsUrl(site.id, CHECKOUT.key), { method: "DELETE", cookie });
    expect(del.status).toBe(204);
    await expectError(await api(flagsUrl(site.id, CHECKOUT.key), { cookie }), "GET", ONE, 404, "NOT_FOUND");
    const again = await api(flagsUrl(site.id, CHECKOUT.key), { method: "DELETE", cookie });
    await expectError(again, "DELETE", ONE, 404, "NOT_FOUND");
    const patchGone = await api(flagsUrl(site.id, CHECKOUT.key), { method: "PATCH", cookie, json: { enabled: true } });
    await expectError(patchGone, "PATCH", ONE, 404, "NOT_FOUND");
    const after = (await (await api(flagsUrl(site.id), { cookie })).json()) as { items: FlagBody[] };
    expect(after.items.map((f) => f.key)).toEqual(["a-first"]);
  });

  it("keeps variants and split weights in the order sent, through Postgres and to the edge", async () => {
    const cookie = await ownerCookie();
    const site = await createSite(cookie, "Flags order");
    const flag = {
      ...simple("ordered"),
      variants: { zeta: "z", beta: "b", alpha: "a" },
      defaultVariant: "alpha",
      offVariant: "alpha",
      rollout: { weights: { zeta: 2000, alpha: 5000, beta: 3000 }, percentage: 100 },
      rules: [{ conditions: [{ attribute: "device", op: "eq", value: "mobile" }], split: { beta: 5000, zeta: 5000 } }],
    };
    await create(cookie, site.id, flag);
    // A change to another field rewrites the definition: the order must survive that too.
    await api(flagsUrl(site.id, "ordered"), { method: "PATCH", cookie, json: { description: "reordered?" } });

    const text = await (await api(flagsUrl(site.id, "ordered"), { cookie })).text();
    const read = JSON.parse(text) as typeof flag;
    expect(Object.keys(read.variants)).toEqual(["zeta", "beta", "alpha"]);
    expect(Object.keys(read.rollout.weights)).toEqual(["zeta", "alpha", "beta"]);
    expect(Object.keys((read.rules[0] as { split: object }).split)).toEqual(["beta", "zeta"]);

    const stored = await withDb((d) =>
      d.execute(sql`select definition::text as t from flags where site_id = ${site.id} and key = 'ordered'`),
    );
    const column = String(stored.rows[0]?.t);
    expect(column.indexOf('"zeta"')).toBeLessThan(column.indexOf('"beta"'));
    expect(column.indexOf('"beta"')).toBeLessThan(column.indexOf('"alpha"'));

    const record = await published(site.key);
    const edgeFlag = record?.flags.find((f) => f.key === "ordered");
    expect(Object.keys(edgeFlag?.variants ?? {})).toEqual(["zeta", "beta", "alpha"]);
    expect(Object.keys(edgeFlag?.rollout?.weights ?? {})).toEqual(["zeta", "alpha", "beta"]);
  });

  it("publishes the site's whole record after each change, its version growing, deleted flags gone", async () => {
    const cookie = await ownerCookie();
    const site = await createSite(cookie, "Flags publish");
    expect(await published(site.key)).toBeNull();

    await create(cookie, site.id, simple("beta-flag"));
    const first = await published(site.key);
    expect(first?.flags.map((f) => f.key)).toEqual(["beta-flag"]);

    await create(cookie, site.id, CHECKOUT);
    const second = await published(site.key);
    expect(second?.flags.map((f) => f.key)).toEqual(["beta-flag", "new-checkout"]);
    expect(second?.flags[1]).toEqual(CHECKOUT);
    expect(second?.version).toBeGreaterThan(first?.version ?? Number.POSITIVE_INFINITY);

    await api(flagsUrl(site.id, "beta-flag"), { method: "PATCH", cookie, json: { enabled: false } });
    const third = await published(site.key);
    expect(third?.flags[0]).toMatchObject({ key: "beta-flag", enabled: false });
    expect(third?.version).toBeGreaterThan(second?.version ?? Number.POSITIVE_INFINITY);

    // A change that changes nothing writes and publishes nothing.
    const same = await api(flagsUrl(site.id, "beta-flag"), { method: "PATCH", cookie, json: { enabled: false } });
    expect(same.status).toBe(200);
    expect((await published(site.key))?.version).toBe(third?.version);

    expect((await api(flagsUrl(site.id, "new-checkout"), { method: "DELETE", cookie })).status).toBe(204);
    const fourth = await published(site.key);
    expect(fourth?.flags.map((f) => f.key)).toEqual(["beta-flag"]);
    expect(fourth?.version).toBeGreaterThan(third?.version ?? Number.POSITIVE_INFINITY);

    expect((await api(flagsUrl(site.id, "beta-flag"), { method: "DELETE", cookie })).status).toBe(204);
    const empty = await published(site.key);
    expect(empty?.flags).toEqual([]);
    expect(empty?.version).toBeGreaterThan(fourth?.version ?? Number.POSITIVE_INFINITY);
  });

  it("publishes every change of concurrent writers: the last record holds them all, at the highest version", async () => {
    const cookie = await ownerCookie();
    const site = await createSite(cookie, "Flags concurrent");
    const keys = Array.from({ length: 8 }, (_, i) => `together-${i}`);
    const answers = await Promise.all(
      keys.map((key) => api(flagsUrl(site.id), { method: "POST", cookie, json: simple(key) })),
    );
    expect(answers.map((r) => r.status)).toEqual(keys.map(() => 201));
    const record = await published(site.key);
    expect(record?.flags.map((f) => f.key)).toEqual(keys);
    const versions = await Promise.all(
      keys.map(async (key) => (await history(cookie, site.id, key)).items[0]?.version),
    );
    expect(new Set(versions).size).toBe(keys.length);
    expect(record?.version).toBe(Math.max(...versions.map(Number)));
  });

  it("audits every change with its actor, before and after, newest first, paged, kept after deletion", async () => {
    const cookie = await ownerCookie();
    const site = await createSite(cookie, "Flags audit");
    await create(cookie, site.id, simple("audited"));
    await api(flagsUrl(site.id, "audited"), { method: "PATCH", cookie, json: { enabled: false } });
    // Through a token of the same account: the actor is still the account.
    const write = await createToken(cookie, ["write"]);
    const patched = await api(flagsUrl(site.id, "audited"), {
      method: "PATCH",
      token: write,
      json: { description: "by token" },
    });
    expect(patched.status).toBe(200);
    await api(flagsUrl(site.id, "audited"), { method: "DELETE", cookie });

    const all = await history(cookie, site.id, "audited");
    expect(all.nextCursor).toBeNull();
    expect(all.items.map((c) => c.action)).toEqual(["deleted", "updated", "updated", "created"]);
    expect(new Set(all.items.map((c) => c.actor))).toEqual(new Set([OWNER.email]));
    const [deleted, described, disabled, created] = all.items;
    expect(created).toMatchObject({ before: null, after: simple("audited") });
    expect(disabled).toMatchObject({ before: simple("audited"), after: { ...simple("audited"), enabled: false } });
    expect(described?.after).toMatchObject({ enabled: false, description: "by token" });
    expect(deleted).toMatchObject({ before: { description: "by token" }, after: null });
    const versions = all.items.map((c) => c.version);
    expect([...versions].sort((a, b) => b - a)).toEqual(versions);
    expect(versions.at(0)).toBe((await published(site.key))?.version);

    const page1 = await history(cookie, site.id, "audited", "?limit=3");
    expect(page1.items.map((c) => c.version)).toEqual(versions.slice(0, 3));
    expect(page1.nextCursor).not.toBeNull();
    const page2 = await history(cookie, site.id, "audited", `?limit=3&cursor=${page1.nextCursor}`);
    expect(page2.items.map((c) => c.version)).toEqual(versions.slice(3));
    expect(page2.nextCursor).toBeNull();

    expect((await history(cookie, site.id, "never-existed")).items).toEqual([]);
    for (const key of ["Not A Key", "a\u0000b", "k".repeat(FLAG_LIMITS.maxKeyLength + 1)]) {
      await expectError(await api(flagsUrl(site.id, key), { cookie }), "GET", ONE, 400, "VALIDATION_FAILED");
      const res = await api(flagsUrl(site.id, key, "/history"), { cookie });
      await expectError(res, "GET", HISTORY, 400, "VALIDATION_FAILED");
      const del = await api(flagsUrl(site.id, key), { method: "DELETE", cookie });
      await expectError(del, "DELETE", ONE, 400, "VALIDATION_FAILED");
    }
    for (const query of ["?cursor=abc", "?cursor=0", "?limit=101", "?cursor=12345678901234567"]) {
      const res = await api(flagsUrl(site.id, "audited", `/history${query}`), { cookie });
      await expectError(res, "GET", HISTORY, 400, "VALIDATION_FAILED");
    }
  });

  it("refuses a flag that is not valid with 400 and a stable code, storing and publishing nothing", async () => {
    const cookie = await ownerCookie();
    const site = await createSite(cookie, "Flags refused");
    const refusals: [string, object][] = [
      ["a bad key", { ...simple("x"), key: "Not A Key" }],
      ["a key over maxKeyLength", { ...simple("x"), key: "k".repeat(FLAG_LIMITS.maxKeyLength + 1) }],
      ["weights not summing to 10000", { ...simple("x"), rollout: { weights: { on: 5000, off: 4999 } } }],
      ["an unknown default variant", { ...simple("x"), defaultVariant: "maybe" }],
      ["an unknown variant in a split", { ...simple("x"), rollout: { weights: { on: 5000, gone: 5000 } } }],
      ["variants of two types", { ...simple("x"), variants: { on: true, off: "no" } }],
      ["an unknown field", { ...simple("x"), colour: "red" }],
      ["a missing field", { key: "x", enabled: true, variants: { on: true }, defaultVariant: "on" }],
      [
        "too many rules",
        {
          ...simple("x"),
          rules: Array.from({ length: FLAG_LIMITS.maxRules + 1 }, () => ({
            conditions: [{ attribute: "a", op: "eq", value: 1 }],
            variant: "on",
          })),
        },
      ],
    ];
    for (const [what, body] of refusals) {
      const res = await api(flagsUrl(site.id), { method: "POST", cookie, json: body });
      const message = await expectError(res, "POST", LIST, 400, "VALIDATION_FAILED");
      expect(message, what).toMatch(/^The request is not valid: /);
    }

    // Nested deeper than any flag is: refused before zod recurses into it (a stack overflow, a 500, before).
    const deep = `{"key":"deep","enabled":true,"variants":{"on":{"v":${"[".repeat(5000)}${"]".repeat(5000)}},"off":{}},"defaultVariant":"on","offVariant":"off"}`;
    const deepRes = await api(flagsUrl(site.id), {
      method: "POST",
      cookie,
      body: deep,
      headers: { "content-type": "application/json" },
    });
    expect(await expectError(deepRes, "POST", LIST, 400, "VALIDATION_FAILED")).toMatch(/nested deeper than/);
    // Objects as deep as a flag needs are taken.
    await create(cookie, site.id, { ...simple("nested"), variants: { on: { a: { b: { c: [1, [2]] } } }, off: {} } });

    const patchRefusals: object[] = [
      { defaultVariant: "maybe" },
      { key: "renamed" },
      { colour: "red" },
      { enabled: null },
      { variants: { only: true } },
    ];
    for (const body of patchRefusals) {
      const res = await api(flagsUrl(site.id, "nested"), { method: "PATCH", cookie, json: body });
      await expectError(res, "PATCH", ONE, 400, "VALIDATION_FAILED");
    }
    const list = (await (await api(flagsUrl(site.id), { cookie })).json()) as { items: FlagBody[] };
    expect(list.items.map((f) => f.key)).toEqual(["nested"]);
    expect((await published(site.key))?.flags.map((f) => f.key)).toEqual(["nested"]);
    expect((await history(cookie, site.id, "nested")).items).toHaveLength(1);
  });

  it("answers 409 FLAG_EXISTS for a key the site has, leaving it as it was", async () => {
    const cookie = await ownerCookie();
    const site = await createSite(cookie, "Flags conflict");
    const first = await create(cookie, site.id, simple("taken"));
    const res = await api(flagsUrl(site.id), { method: "POST", cookie, json: { ...simple("taken"), enabled: false } });
    await expectError(res, "POST", LIST, 409, "FLAG_EXISTS");
    expect(await (await api(flagsUrl(site.id, "taken"), { cookie })).json()).toEqual(first);
    // The same key on another site is another flag.
    const other = await createSite(cookie, "Flags conflict 2");
    await create(cookie, other.id, simple("taken"));
  });

  it(`holds at most ${FLAG_LIMITS.maxFlagsPerSite} flags a site: LIMIT_REACHED past that`, async () => {
    const cookie = await ownerCookie();
    const site = await createSite(cookie, "Flags full");
    const seeded = Array.from({ length: FLAG_LIMITS.maxFlagsPerSite - 1 }, (_, i) =>
      simple(`seed-${String(i).padStart(3, "0")}`),
    );
    await withDb((d) =>
      d.insert(schema.flags).values(seeded.map((f) => ({ siteId: site.id, key: f.key, definition: f }))),
    );

    // Two at once for the last place: the site's lock lets exactly one in.
    const racing = await Promise.all(
      ["last-a", "last-b"].map((key) => api(flagsUrl(site.id), { method: "POST", cookie, json: simple(key) })),
    );
    expect(racing.map((r) => r.status).sort()).toEqual([201, 400]);
    expect((await published(site.key))?.flags).toHaveLength(FLAG_LIMITS.maxFlagsPerSite);
    const over = await api(flagsUrl(site.id), { method: "POST", cookie, json: simple("one-too-many") });
    await expectError(over, "POST", LIST, 400, "LIMIT_REACHED");
    expect((await published(site.key))?.flags).toHaveLength(FLAG_LIMITS.maxFlagsPerSite);
    await expectError(await api(flagsUrl(site.id, "one-too-many"), { cookie }), "GET", ONE, 404, "NOT_FOUND");

    // A deletion makes room again.
    expect((await api(flagsUrl(site.id, "seed-000"), { method: "DELETE", cookie })).status).toBe(204);
    await create(cookie, site.id, simple("one-too-many"));
  });

  it(`lets ${FLAG_LIMITS.maxHeatmapFlags} flags of a site split heatmaps, and refuses one more: LIMIT_REACHED`, async () => {
    const cookie = await ownerCookie();
    const site = await createSite(cookie, "Flags heatmaps");
    const max = FLAG_LIMITS.maxHeatmapFlags;
    for (let i = 0; i < max - 1; i++) await create(cookie, site.id, { ...simple(`split-${i}`), heatmaps: true });
    await create(cookie, site.id, simple("late-a"));
    await create(cookie, site.id, simple("late-b"));
    const heatKeys = async () =>
      (await published(site.key))?.flags.filter((f) => f.heatmaps === true).map((f) => f.key) ?? [];

    // Two at once for the last place: the site's lock lets exactly one in (the limit, reached).
    const racing = await Promise.all(
      ["late-a", "late-b"].map((key) =>
        api(flagsUrl(site.id, key), { method: "PATCH", cookie, json: { heatmaps: true } }),
      ),
    );
    expect(racing.map((r) => r.status).sort()).toEqual([200, 400]);
    const refused = racing.find((r) => r.status === 400);
    if (!refused) throw new Error("no refusal");
    const message = await expectError(refused, "PATCH", ONE, 400, "LIMIT_REACHED");
    expect(message).toContain(`At most ${max} flags`);
    expect(await heatKeys()).toHaveLength(max);

    // One past it, as a creation: nothing stored, nothing published.
    const over = await api(flagsUrl(site.id), { method: "POST", cookie, json: { ...simple("over"), heatmaps: true } });
    await expectError(over, "POST", LIST, 400, "LIMIT_REACHED");
    await expectError(await api(flagsUrl(site.id, "over"), { cookie }), "GET", ONE, 404, "NOT_FOUND");
    expect(await heatKeys()).toHaveLength(max);

    // Flags already on change freely, and turning one off makes room.
    const onKey = (await heatKeys())[0] ?? "";
    const edit = await api(flagsUrl(site.id, onKey), { method: "PATCH", cookie, json: { enabled: false } });
    expect(edit.status, await edit.clone().text()).toBe(200);
    const off = await api(flagsUrl(site.id, onKey), { method: "PATCH", cookie, json: { heatmaps: false } });
    expect(((await off.json()) as Flag).heatmaps).toBe(false);
    const made = await create(cookie, site.id, { ...simple("over"), heatmaps: true });
    expect(made.heatmaps).toBe(true);
    expect((await heatKeys()).sort()).toContain("over");
    expect(await heatKeys()).toHaveLength(max);
  });

  it(`keeps a site's record within ${FLAG_LIMITS.maxRecordBytes} bytes: LIMIT_REACHED past that`, async () => {
    const cookie = await ownerCookie();
    const site = await createSite(cookie, "Flags heavy");
    // 15 variants of 4,000 characters: about 60 KB, under the API's body limit.
    const heavy = (key: string): Flag => ({
      ...simple(key),
      variants: Object.fromEntries(
        Array.from({ length: 15 }, (_, i) => [`v${i}`, String.fromCharCode(97 + i).repeat(4000)]),
      ),
      defaultVariant: "v0",
      offVariant: "v1",
    });
    const one = new TextEncoder().encode(JSON.stringify(heavy("heavy-00"))).length;
    const fits = Math.floor(FLAG_LIMITS.maxRecordBytes / one) - 1;
    const seeded = Array.from({ length: fits }, (_, i) => heavy(`heavy-${String(i).padStart(2, "0")}`));
    await withDb((d) =>
      d.insert(schema.flags).values(seeded.map((f) => ({ siteId: site.id, key: f.key, definition: f }))),
    );

    // One more fits whole; the next would pass the bound, as a creation or as a change.
    await create(cookie, site.id, heavy("heavy-last"));
    const record = await published(site.key);
    expect(new TextEncoder().encode(JSON.stringify(record)).length).toBeLessThanOrEqual(FLAG_LIMITS.maxRecordBytes);
    const over = await api(flagsUrl(site.id), { method: "POST", cookie, json: heavy("heavy-over") });
    await expectError(over, "POST", LIST, 400, "LIMIT_REACHED");
    await create(cookie, site.id, simple("small"));
    const grow = await api(flagsUrl(site.id, "small"), {
      method: "PATCH",
      cookie,
      json: { variants: heavy("x").variants, defaultVariant: "v0", offVariant: "v1" },
    });
    await expectError(grow, "PATCH", ONE, 400, "LIMIT_REACHED");
    expect((await (await api(flagsUrl(site.id, "small"), { cookie })).json()) as Flag).toMatchObject(simple("small"));
    expect((await published(site.key))?.flags.map((f) => f.key)).not.toContain("heavy-over");
  });

  it(`takes a flag body only up to the API's ${LIMITS.api.maxBodyBytes} bytes, under what the flag schema allows`, async () => {
    const cookie = await ownerCookie();
    const site = await createSite(cookie, "Flags big body");
    // Every variant at maxVariantBytes: a valid flag, and a body over the API's limit.
    const value = "x".repeat(FLAG_LIMITS.maxVariantBytes - 2);
    const flag = {
      ...simple("widest"),
      variants: Object.fromEntries(Array.from({ length: FLAG_LIMITS.maxVariants }, (_, i) => [`v${i}`, value])),
      defaultVariant: "v0",
      offVariant: "v1",
    };
    expect(JSON.stringify(flag).length).toBeGreaterThan(LIMITS.api.maxBodyBytes);
    const res = await api(flagsUrl(site.id), { method: "POST", cookie, json: flag });
    await expectError(res, "POST", LIST, 413, "PAYLOAD_TOO_LARGE");
  });

  it("lets a read-only token read flags and history but change nothing", async () => {
    const cookie = await ownerCookie();
    const site = await createSite(cookie, "Flags scopes");
    await create(cookie, site.id, simple("scoped"));
    const read = await createToken(cookie, ["read"]);
    expect((await api(flagsUrl(site.id), { token: read })).status).toBe(200);
    expect((await api(flagsUrl(site.id, "scoped"), { token: read })).status).toBe(200);
    expect((await api(flagsUrl(site.id, "scoped", "/history"), { token: read })).status).toBe(200);
    const writes: [string, string, string, object?][] = [
      ["POST", flagsUrl(site.id), LIST, simple("by-reader")],
      ["PATCH", flagsUrl(site.id, "scoped"), ONE, { enabled: false }],
      ["DELETE", flagsUrl(site.id, "scoped"), ONE],
    ];
    for (const [method, url, path, json] of writes) {
      const res = await api(url, { method, token: read, ...(json ? { json } : {}) });
      await expectError(res, method, path, 403, "FORBIDDEN");
    }
    expect(await (await api(flagsUrl(site.id, "scoped"), { cookie })).json()).toMatchObject(simple("scoped"));
    expect((await history(cookie, site.id, "scoped")).items).toHaveLength(1);
  });

  it("answers 404 to another account on every flag route, changing nothing", async () => {
    const cookie = await ownerCookie();
    const site = await createSite(cookie, "Flags owned");
    await create(cookie, site.id, simple("mine"));
    const other = await otherAccount();
    const attempts: [string, string, string, object?][] = [
      ["GET", flagsUrl(site.id), LIST],
      ["POST", flagsUrl(site.id), LIST, simple("theirs")],
      ["GET", flagsUrl(site.id, "mine"), ONE],
      ["PATCH", flagsUrl(site.id, "mine"), ONE, { enabled: false }],
      ["DELETE", flagsUrl(site.id, "mine"), ONE],
      ["GET", flagsUrl(site.id, "mine", "/history"), HISTORY],
    ];
    for (const [method, url, path, json] of attempts) {
      const res = await api(url, { method, cookie: other.cookie, ...(json ? { json } : {}) });
      await expectError(res, method, path, 404, "NOT_FOUND");
    }
    const list = (await (await api(flagsUrl(site.id), { cookie })).json()) as { items: FlagBody[] };
    expect(list.items).toEqual([expect.objectContaining(simple("mine"))]);
    expect((await history(cookie, site.id, "mine")).items).toHaveLength(1);
  });

  it("deletes a site's flags and their history with the site, and no other site's", async () => {
    const cookie = await ownerCookie();
    const site = await createSite(cookie, "Flags doomed");
    const kept = await createSite(cookie, "Flags kept");
    for (const s of [site, kept]) {
      await create(cookie, s.id, simple("shared-key"));
      await api(flagsUrl(s.id, "shared-key"), { method: "PATCH", cookie, json: { enabled: false } });
    }
    const rowsOf = (siteId: string) =>
      withDb(async (d) => ({
        flags: (await d.select().from(schema.flags).where(eq(schema.flags.siteId, siteId))).length,
        audit: (await d.select().from(schema.flagAudit).where(eq(schema.flagAudit.siteId, siteId))).length,
      }));
    expect(await rowsOf(site.id)).toEqual({ flags: 1, audit: 2 });

    expect((await api(`/v1/sites/${site.id}`, { method: "DELETE", cookie })).status).toBe(204);
    expect(await rowsOf(site.id)).toEqual({ flags: 0, audit: 0 });
    expect(await rowsOf(kept.id)).toEqual({ flags: 1, audit: 2 });
    await expectError(await api(flagsUrl(site.id), { cookie }), "GET", LIST, 404, "NOT_FOUND");
    const late = await api(flagsUrl(site.id), { method: "POST", cookie, json: simple("late") });
    await expectError(late, "POST", LIST, 404, "NOT_FOUND");
    expect(await rowsOf(site.id)).toEqual({ flags: 0, audit: 0 });
  });
});

describe("flags when Postgres is down", () => {
  const down = { ...env, DATABASE_URL: "postgresql://postgres@127.0.0.1:1/unreachable" } as Env;
  async function fetchDown(path: string, cookie: string, init: RequestInit = {}) {
    const headers = new Headers(init.headers);
    headers.set("cookie", cookie);
    headers.set("origin", BASE);
    const ctx = createExecutionContext();
    const res = await worker.fetch(new Request(`${BASE}${path}`, { ...init, headers }), down, ctx);
    await waitOnExecutionContext(ctx);
    return res;
  }

  it("answers changes 503 with Retry-After, changing nothing, and serves the last list marked stale", async () => {
    const cookie = await ownerCookie();
    const site = await createSite(cookie, "Flags outage");
    await create(cookie, site.id, simple("steady"));
    const before = await published(site.key);
    const fresh = await (await api(flagsUrl(site.id), { cookie })).json();

    const json = { "content-type": "application/json" };
    const changes: [string, string, object?][] = [
      ["POST", flagsUrl(site.id), simple("during-outage")],
      ["PATCH", flagsUrl(site.id, "steady"), { enabled: false }],
      ["DELETE", flagsUrl(site.id, "steady")],
    ];
    for (const [method, path, body] of changes) {
      const res = await fetchDown(path, cookie, {
        method,
        headers: json,
        body: body ? JSON.stringify(body) : undefined,
      });
      expect(res.status, `${method} ${path}`).toBe(503);
      expect(res.headers.get("retry-after")).toBe("5");
      expect(((await res.json()) as ErrorShape).error.code).toBe("SERVICE_UNAVAILABLE");
    }
    expect(await published(site.key)).toEqual(before);

    const stale = await vi.waitFor(
      async () => {
        const res = await fetchDown(flagsUrl(site.id), cookie);
        expect(res.status).toBe(200);
        return res;
      },
      { timeout: 10_000, interval: 200 },
    );
    expect(stale.headers.get("x-sightline-stale")).toBe("true");
    expect(await stale.json()).toEqual(fresh);
    // Never read while Postgres was up: nothing to serve.
    const unread = await fetchDown(flagsUrl(site.id, "steady", "/history"), cookie);
    expect(unread.status).toBe(503);
  });

  it("answers pageviews and sessions per variant from the flag breakdown, for that flag only", async () => {
    const cookie = await ownerCookie();
    const site = await createSite(cookie, "Variant shop");
    const hour = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000);
    const earlier = new Date(hour.getTime() - 3_600_000);
    const row = (value: string, at: Date, pageviews: number, sessions: number) => ({
      siteId: site.id,
      dimension: "flag" as const,
      hour: at,
      value,
      pageviews,
      sessions,
    });
    await withDb((d) =>
      d.insert(schema.dimensionStatsHourly).values([
        row("new_checkout=b", hour, 5, 2),
        row("new_checkout=b", earlier, 3, 1),
        row("new_checkout=a", hour, 7, 3),
        // Another flag whose key the first one's prefix would match under LIKE ('_' is a wildcard).
        row("newXcheckout=a", hour, 100, 50),
        row("new_checkout_2=a", hour, 100, 50),
      ]),
    );
    const range = `?from=${new Date(earlier.getTime() - 1).toISOString()}&to=${new Date(hour.getTime() + 3_600_000).toISOString()}`;
    const res = await api(`${flagsUrl(site.id, "new_checkout", "/variants")}${range}`, { cookie });
    expect(res.status).toBe(200);
    expect(await expectMatchesDocument("GET", "/v1/sites/{siteId}/flags/{key}/variants", res)).toEqual({
      items: [
        { variant: "a", pageviews: 7, sessions: 3 },
        { variant: "b", pageviews: 8, sessions: 3 },
      ],
    });
    const backwards = await api(
      `${flagsUrl(site.id, "new_checkout", "/variants")}?from=${hour.toISOString()}&to=${earlier.toISOString()}`,
      { cookie },
    );
    await expectError(backwards, "GET", "/v1/sites/{siteId}/flags/{key}/variants", 400, "VALIDATION_FAILED");
    const stranger = await otherAccount();
    expect(
      (await api(`${flagsUrl(site.id, "new_checkout", "/variants")}${range}`, { cookie: stranger.cookie })).status,
    ).toBe(404);
  });
});
