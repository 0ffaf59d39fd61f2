/**
 * The Flags page in real Chromium on the local stack, with a scratch database of its own (so
 * the owner is set up fresh): the owner makes an on/off flag and a three-way string flag with a
 * rule and a 30/70 rollout through the form, flips one on the list, edits the rollout, reads
 * each change in the history, deletes a flag, and is refused a split that does not add up to
 * 100% (nothing sent) and a value the API refuses (its 400 shown). Each change is checked in the
 * API and at the edge, over OFREP as a server would ask, against the shared evaluator; an edge
 * isolate trusts a record it read for up to FLAG_LIMITS.edgeCacheMs, so the edge is polled.
 * Screenshots of the list and the editor at 1280 and 375 px go to test/system/artifacts/.
 */
import { join } from "node:path";
import { schema } from "@sightline/db";
import { evaluateFlag, type Flag } from "@sightline/shared/flags";
import { FLAG_LIMITS } from "@sightline/shared/limits/flags";
import type { Browser, Page, Request } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDb } from "../../scripts/lib/db.ts";
import { apiFetch, launchChromium, watchProblems } from "./browser.ts";
import { ARTIFACTS, type ScratchDatabase, type Stack, scratchDatabase, startStack } from "./stack.ts";

const EMAIL = "flags@example.test";
const PASSWORD = "correct horse battery staple";
/** Long enough for an isolate's cached record to expire, and for the answer to travel. */
const EDGE_WAIT = { timeout: FLAG_LIMITS.edgeCacheMs + 10_000, interval: 500 };
const WIDTHS = [1280, 375] as const;

const shot = (page: Page, name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });

describe("the Flags page: create, flip, edit, history and delete, checked in the API and at the edge", () => {
  let scratch: ScratchDatabase | undefined;
  let stack: Stack | undefined;
  let browser: Browser | undefined;
  let page: Page | undefined;
  let siteId = "";
  let siteKey = "";
  const problems: string[] = [];
  /** While a test puts a 503 in the API's way on purpose. */
  let injecting = false;
  /** Every write the page sends to the flag routes, in order. */
  const writes: string[] = [];

  beforeAll(async () => {
    scratch = await scratchDatabase("sl_flagsdash");
    stack = await startStack("flags-dashboard", { databaseUrl: scratch.url });
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    watchProblems(page, problems, stack.apiUrl, () => injecting);
    page.on("request", (req: Request) => {
      if (req.method() !== "GET" && new URL(req.url()).pathname.includes("/flags")) {
        writes.push(`${req.method()} ${new URL(req.url()).pathname}`);
      }
    });
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    await scratch?.drop();
  });

  function need() {
    if (!stack || !page) throw new Error("stack not started");
    return { stack, page };
  }

  /** An API call from the signed-in page: its status and body. */
  const call = <T>(path: string, init: { method?: string; json?: unknown } = {}) =>
    apiFetch<T>(need().page, path, init);

  const storedFlag = async (key: string) => {
    const { status, body } = await call<Flag & { createdAt: string; updatedAt: string }>(
      `/v1/sites/${siteId}/flags/${key}`,
    );
    if (status !== 200) throw new Error(`GET flag ${key}: ${status}`);
    const { createdAt: _, updatedAt: __, ...flag } = body;
    return flag as Flag;
  };

  /** What the edge answers a server (no Origin) for one flag and context. */
  async function edge(key: string, context: Record<string, string>): Promise<Record<string, unknown>> {
    const res = await fetch(`http://localhost:${need().stack.ingestPort}/ofrep/v1/evaluate/flags/${key}`, {
      method: "POST",
      headers: { "X-API-Key": siteKey, "Content-Type": "application/json" },
      body: JSON.stringify({ context }),
    });
    return { status: res.status, ...((await res.json()) as Record<string, unknown>) };
  }

  /** The shared evaluator's answer, as the edge should give it (Node's fetch gets no country or device filled in). */
  const expected = (flag: Flag, context: Record<string, string>) => ({ status: 200, ...evaluateFlag(flag, context) });
  const variantOf = (flag: Flag, targetingKey: string) => {
    const r = evaluateFlag(flag, { targetingKey });
    return "variant" in r ? r.variant : r.errorCode;
  };

  async function openEditor(key: string) {
    const { stack, page } = need();
    await page.goto(`${stack.apiUrl}/sites/${siteId}/flags/${key}`);
    await page.locator("#flag-form").waitFor();
    await page.locator("#flag-history li").first().waitFor();
  }

  const historyLines = () =>
    need()
      .page.locator("#flag-history > li")
      .evaluateAll((items) =>
        items.map((li) => ({
          action: li.getAttribute("data-action"),
          changes: Array.from(li.querySelectorAll(".history-changes li")).map((c) => c.textContent),
        })),
      );

  it("sets up the owner and a site; the Flags page says there are none and loads its code only when opened", async () => {
    const { stack, page } = need();
    if (!stack.setupUrl) throw new Error("no setup link printed");
    await page.goto(stack.setupUrl);
    await page.getByLabel("Email").fill(EMAIL);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Create owner account" }).click();
    await page.waitForURL(`${stack.apiUrl}/sites`);
    const site = await call<{ id: string; key: string }>("/v1/sites", {
      method: "POST",
      json: { name: "Flags page", origins: [stack.demoUrl] },
    });
    siteId = site.body.id;
    siteKey = site.body.key;
    expect(siteId).toMatch(/^site_/);

    await page.goto(`${stack.apiUrl}/sites/${siteId}`);
    const nav = page.locator(".sidenav").getByRole("link");
    await nav.filter({ hasText: "Flags" }).waitFor();
    expect(await page.locator(".nav-group").getByRole("link").allTextContents()).toEqual([
      "Overview",
      "Recordings",
      "Heatmaps",
      "Flags",
      "Settings",
    ]);
    expect(await loadedScripts(page)).not.toContainEqual(expect.stringMatching(/\/assets\/flags\./));
    await page.locator(".sidenav").getByRole("link", { name: "Flags" }).click();
    await page.waitForURL(`${stack.apiUrl}/sites/${siteId}/flags`);
    await page.locator("#flags-empty").waitFor();
    expect(await page.locator("#flags-empty .empty-title").textContent()).toBe("No flags yet");
    expect(await loadedScripts(page)).toContainEqual(expect.stringMatching(/\/assets\/flags\./));
    expect(await page.locator('.sidenav [aria-current="page"]').textContent()).toBe("Flags");
  });

  it("creates an on/off flag through the form, with the schema's limits on its inputs, and the edge serves it", async () => {
    const { stack, page } = need();
    await page.locator("#new-flag").click();
    await page.waitForURL(`${stack.apiUrl}/sites/${siteId}/flags/_new`);
    expect(await page.getAttribute("#flag-key", "maxlength")).toBe(String(FLAG_LIMITS.maxKeyLength));
    expect(await page.getAttribute("#flag-description", "maxlength")).toBe(String(FLAG_LIMITS.maxDescriptionLength));
    expect(await page.getByLabel("Variant 1 name", { exact: true }).getAttribute("maxlength")).toBe(
      String(FLAG_LIMITS.maxVariantNameLength),
    );
    await page.getByLabel("Key", { exact: true }).fill("new-checkout");
    await page.getByLabel("Description", { exact: true }).fill("The one-page checkout");
    expect(await page.getByLabel("Kind", { exact: true }).inputValue()).toBe("boolean");
    await page.getByLabel("Default variant", { exact: true }).selectOption({ label: "on" });
    await page.locator("#flag-save").click();
    await page.waitForURL(`${stack.apiUrl}/sites/${siteId}/flags/new-checkout`);
    await page.getByText("Flag new-checkout created.").waitFor();

    const flag = await storedFlag("new-checkout");
    expect(flag).toEqual({
      key: "new-checkout",
      description: "The one-page checkout",
      enabled: true,
      variants: { on: true, off: false },
      defaultVariant: "on",
      offVariant: "off",
      rules: [],
    });
    await expect
      .poll(() => edge("new-checkout", { targetingKey: "t1" }), EDGE_WAIT)
      .toEqual({ status: 200, key: "new-checkout", value: true, variant: "on", reason: "STATIC" });
  });

  it("creates a three-way flag with a rule and a 30/70 rollout, served at the edge as the shared evaluator says", async () => {
    const { stack, page } = need();
    await page.goto(`${stack.apiUrl}/sites/${siteId}/flags`);
    await page.locator("#new-flag").click();
    await page.locator("#flag-form").waitFor();
    await page.getByLabel("Key", { exact: true }).fill("headline");
    await page.getByLabel("Kind", { exact: true }).selectOption("string");
    await page.locator("#flag-add-variant").click();
    const variants: [string, string][] = [
      ["control", "Welcome"],
      ["bold", "Welcome back"],
      ["pro", "Hello, pro"],
    ];
    for (const [i, [name, value]] of variants.entries()) {
      await page.getByLabel(`Variant ${i + 1} name`, { exact: true }).fill(name);
      await page.getByLabel(`Variant ${i + 1} value`, { exact: true }).fill(value);
    }
    await page.getByLabel("Default variant", { exact: true }).selectOption({ label: "control" });
    await page.getByLabel("Off variant", { exact: true }).selectOption({ label: "control" });
    await page.getByLabel("Roll out to a share of visitors", { exact: true }).check();
    expect(await page.locator("#flag-rollout-value").textContent()).toBe("100%");
    const weights = page.locator("#flag-rollout-weights input");
    expect(await page.locator("#flag-rollout-weights label").allTextContents()).toEqual(["control", "bold", "pro"]);
    await weights.nth(0).fill("30");
    await weights.nth(1).fill("70");
    await weights.nth(2).fill("0");
    expect(await page.locator("#flag-rollout-total").textContent()).toBe("Adds up to 100%.");
    // A variant added and removed again leaves nothing behind.
    await page.locator("#flag-add-variant").click();
    await page.getByRole("button", { name: "Remove variant 4", exact: true }).click();
    expect(await page.locator("#flag-rollout-weights label").allTextContents()).toEqual(["control", "bold", "pro"]);

    await page.locator("#flag-add-rule").click();
    await page.getByLabel("Rule 1 condition 1 attribute", { exact: true }).selectOption("custom");
    await page.getByLabel("Rule 1 condition 1 attribute name", { exact: true }).fill("plan");
    await page.getByLabel("Rule 1 condition 1 operator", { exact: true }).selectOption("eq");
    await page.getByLabel("Rule 1 condition 1 value", { exact: true }).fill("pro");
    await page.getByLabel("Rule 1 variant", { exact: true }).selectOption({ label: "pro" });
    // A second rule serving a split, with a condition added and removed, then moved first.
    await page.locator("#flag-add-rule").click();
    await page.getByLabel("Rule 2 condition 1 attribute", { exact: true }).selectOption("path");
    await page.getByLabel("Rule 2 condition 1 operator", { exact: true }).selectOption("startsWith");
    await page.getByLabel("Rule 2 condition 1 value", { exact: true }).fill("/blog");
    await page.locator('li.rule[data-rule="1"]').getByRole("button", { name: "Add condition" }).click();
    await page.getByRole("button", { name: "Remove rule 2 condition 2", exact: true }).click();
    await page.locator("#flag-rule-1-serve-split").check();
    const ruleWeights = page.locator("#flag-rule-1-weights input");
    expect(await ruleWeights.evaluateAll((inputs) => inputs.map((i) => (i as HTMLInputElement).value))).toEqual([
      "33.34",
      "33.33",
      "33.33",
    ]);
    await ruleWeights.nth(0).fill("50");
    await ruleWeights.nth(1).fill("50");
    await ruleWeights.nth(2).fill("0");
    await page.locator("#flag-add-rule").click();
    await page.locator("#flag-rule-2-remove").click();
    await page.locator("#flag-rule-1-up").click();
    expect(await page.getByLabel("Rule 1 condition 1 value", { exact: true }).inputValue()).toBe("/blog");
    await page.locator("#flag-save").click();
    await page.waitForURL(`${stack.apiUrl}/sites/${siteId}/flags/headline`);
    await page.getByText("Flag headline created.").waitFor();

    const flag = await storedFlag("headline");
    expect(flag).toEqual({
      key: "headline",
      enabled: true,
      variants: { control: "Welcome", bold: "Welcome back", pro: "Hello, pro" },
      defaultVariant: "control",
      offVariant: "control",
      rollout: { weights: { control: 3_000, bold: 7_000 }, percentage: 100 },
      rules: [
        {
          conditions: [{ attribute: "path", op: "startsWith", value: "/blog" }],
          split: { control: 5_000, bold: 5_000 },
        },
        { conditions: [{ attribute: "plan", op: "eq", value: "pro" }], variant: "pro" },
      ],
    });
    await expect
      .poll(() => edge("headline", { targetingKey: "t1", plan: "pro" }), EDGE_WAIT)
      .toEqual({ status: 200, key: "headline", value: "Hello, pro", variant: "pro", reason: "TARGETING_MATCH" });
    for (const targetingKey of ["t1", "t2", "t3", "t4"]) {
      const contexts: Record<string, string>[] = [{ targetingKey }, { targetingKey, path: "/blog/launch" }];
      for (const context of contexts) {
        const answer = await edge("headline", context);
        expect(answer).toEqual(expected(flag, context));
        expect(answer.reason).toBe("SPLIT");
      }
    }

    await page.goto(`${stack.apiUrl}/sites/${siteId}/flags`);
    await page.locator("#flag-list").waitFor();
    const rows = await page
      .locator("#flag-list > li")
      .evaluateAll((lis) =>
        lis.map((li) => [
          li.getAttribute("data-key"),
          li.querySelector("[role=switch]")?.getAttribute("aria-checked"),
          li.querySelector(".flag-summary")?.textContent,
        ]),
      );
    expect(rows).toEqual([
      ["headline", "true", "3 string variants · 100% get control 30% / bold 70% · 2 rules"],
      ["new-checkout", "true", "on/off · serves on · no rules"],
    ]);
    for (const width of WIDTHS) {
      await page.setViewportSize({ width, height: 900 });
      await shot(page, `flags-dashboard-list-${width}`);
    }
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it("flips a flag off with its switch, and the API and the edge follow; a refused flip is put back with the reason", async () => {
    const { stack, page } = need();
    const toggle = page.locator('[data-switch="new-checkout"]');
    expect(await toggle.getAttribute("role")).toBe("switch");
    await toggle.click();
    await page.getByText("new-checkout is off.").waitFor();
    expect(await toggle.getAttribute("aria-checked")).toBe("false");
    expect((await storedFlag("new-checkout")).enabled).toBe(false);
    await expect
      .poll(() => edge("new-checkout", { targetingKey: "t1" }), EDGE_WAIT)
      .toEqual({ status: 200, key: "new-checkout", value: false, variant: "off", reason: "DISABLED" });

    // The API refuses the next flip (a 503 put in the way): the switch goes back and says why.
    injecting = true;
    const url = `${stack.apiUrl}/v1/sites/${siteId}/flags/new-checkout`;
    await page.route(url, (route) =>
      route.request().method() === "PATCH"
        ? route.fulfill({
            status: 503,
            contentType: "application/json",
            headers: { "Retry-After": "5" },
            body: JSON.stringify({
              error: {
                code: "SERVICE_UNAVAILABLE",
                message: "The database is unreachable (injected).",
                requestId: "r1",
              },
            }),
          })
        : route.continue(),
    );
    await toggle.click();
    await page.getByText("new-checkout was not turned on: The database is unreachable (injected).").waitFor();
    await expect.poll(() => toggle.getAttribute("aria-busy")).toBeNull();
    expect(await toggle.getAttribute("aria-checked")).toBe("false");
    await page.unroute(url);
    injecting = false;
    expect((await storedFlag("new-checkout")).enabled).toBe(false);
  });

  it("edits the rollout with its slider; the edge moves the visitors the shared evaluator moves", async () => {
    const { page } = need();
    const before = await storedFlag("headline");
    const after: Flag = { ...before, rollout: { weights: { control: 3_000, bold: 7_000 }, percentage: 50 } };
    // A visitor the smaller rollout leaves out: bold before, the default after.
    const moved = Array.from({ length: 500 }, (_, i) => `v${i}`).find(
      (key) => variantOf(before, key) === "bold" && variantOf(after, key) === "control",
    );
    if (!moved) throw new Error("no visitor leaves a 50% rollout among 500");

    await openEditor("headline");
    await page.getByLabel("Visitors in the rollout", { exact: true }).fill("50");
    expect(await page.locator("#flag-rollout-value").textContent()).toBe("50%");
    await page.locator("#flag-save").click();
    await page.getByText("Changes saved.").waitFor();
    expect(await storedFlag("headline")).toEqual(after);
    await expect
      .poll(() => edge("headline", { targetingKey: moved }), EDGE_WAIT)
      .toEqual(expected(after, { targetingKey: moved }));
    for (const width of WIDTHS) {
      await page.setViewportSize({ width, height: 900 });
      await shot(page, `flags-dashboard-editor-${width}`);
    }
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it("shows the traffic each variant was served, with its share of sessions", async () => {
    const { stack, page } = need();
    if (!scratch) throw new Error("no scratch database");
    // As the aggregators count it (the flag breakdown); this hour, so inside the last 30 days.
    const hour = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000);
    const data = openDb(scratch.url, scratch.bridgePort);
    try {
      await data.db.insert(schema.dimensionStatsHourly).values([
        { siteId, hour, dimension: "flag", value: "headline=bold", pageviews: 21, sessions: 7 },
        { siteId, hour, dimension: "flag", value: "headline=control", pageviews: 9, sessions: 3 },
        { siteId, hour, dimension: "flag", value: "new-checkout=on", pageviews: 50, sessions: 20 },
      ]);
    } finally {
      await data.close();
    }
    await page.goto(`${stack.apiUrl}/sites/${siteId}/flags/headline`);
    const rows = page.locator("#flag-variants tbody tr");
    await expect
      .poll(() => rows.evaluateAll((trs) => trs.map((tr) => Array.from(tr.children).map((td) => td.textContent))))
      .toEqual([
        ["bold", "21", "7", "70%"],
        ["control", "9", "3", "30%"],
      ]);
    await shot(page, "flags-dashboard-variants-1280");
  });

  it("refuses a split that does not add up to 100% and sends nothing; shows the API's own 400", async () => {
    const { stack, page } = need();
    const sent = writes.length;
    const weights = page.locator("#flag-rollout-weights input");
    await weights.nth(0).fill("30");
    await weights.nth(1).fill("60");
    expect(await page.locator("#flag-rollout-total").textContent()).toBe("Adds up to 90%; it must be 100%.");
    await page.locator("#flag-save").click();
    const alert = page.locator("#flag-form .message-error");
    await alert.waitFor();
    expect(await alert.textContent()).toBe(
      "Not saved: Rollout split: the weights add up to 90%; they must add up to 100%.",
    );
    await page.waitForTimeout(500);
    expect(writes.slice(sent)).toEqual([]);
    expect((await storedFlag("headline")).rollout?.weights).toEqual({ control: 3_000, bold: 7_000 });

    // The API checks what the schema does not: a body nested deeper than it reads (its 400).
    await page.goto(`${stack.apiUrl}/sites/${siteId}/flags/_new`);
    await page.locator("#flag-form").waitFor();
    await page.getByLabel("Key", { exact: true }).fill("deep");
    await page.getByLabel("Kind", { exact: true }).selectOption("json");
    const deep = `${'{"a":'.repeat(40)}1${"}".repeat(40)}`;
    await page.getByLabel("Variant 1 value", { exact: true }).fill(deep);
    await page.getByLabel("Variant 2 value", { exact: true }).fill("{}");
    await page.locator("#flag-save").click();
    await expect.poll(() => alert.textContent()).toMatch(/^The request is not valid: nested deeper than \d+ levels\.$/);
    expect(writes.at(-1)).toBe(`POST /v1/sites/${siteId}/flags`);
    expect((await call(`/v1/sites/${siteId}/flags/deep`)).status).toBe(404);
  });

  it("lists each change in the history, newest first, a page at a time", async () => {
    const { page } = need();
    await openEditor("headline");
    expect(await historyLines()).toEqual([
      { action: "updated", changes: ["Rollout: 100% → 50%"] },
      {
        action: "created",
        changes: ["Created: on, 3 string variants · 100% get control 30% / bold 70% · 2 rules"],
      },
    ]);
    expect(await page.locator("#flag-history > li").first().locator(".history-head").textContent()).toContain(
      `Changed by ${EMAIL}`,
    );

    // 21 more changes through the API: the first page shows 20, Load more the rest.
    for (let i = 1; i <= 21; i++) {
      const res = await call(`/v1/sites/${siteId}/flags/new-checkout`, {
        method: "PATCH",
        json: { description: `Revision ${i}` },
      });
      expect(res.status).toBe(200);
    }
    await openEditor("new-checkout");
    expect(await page.locator("#flag-history > li").count()).toBe(20);
    expect((await historyLines())[0]).toEqual({
      action: "updated",
      changes: ["Description: “Revision 20” → “Revision 21”"],
    });
    await page.locator("#flag-history-more").click();
    await expect.poll(() => page.locator("#flag-history > li").count()).toBe(23);
    expect(await page.locator("#flag-history-more").isHidden()).toBe(true);
    expect((await historyLines()).slice(-2)).toEqual([
      { action: "updated", changes: ["Turned off"] },
      { action: "created", changes: ["Created: on, on/off · serves on · no rules"] },
    ]);
  });

  it("deletes a flag after a confirmation; the API and the edge no longer have it", async () => {
    const { stack, page } = need();
    await page.locator("#flag-delete").click();
    await page.locator("#flag-delete-confirm").click();
    await page.waitForURL(`${stack.apiUrl}/sites/${siteId}/flags`);
    await page.getByText("new-checkout was deleted.").waitFor();
    await page.locator("#flag-list").waitFor();
    expect(await page.locator("#flag-list > li").evaluateAll((lis) => lis.map((li) => li.dataset.key))).toEqual([
      "headline",
    ]);
    expect((await call(`/v1/sites/${siteId}/flags/new-checkout`)).status).toBe(404);
    await expect.poll(async () => (await edge("new-checkout", { targetingKey: "t1" })).status, EDGE_WAIT).toBe(404);
    const history = await call<{ items: { action: string }[] }>(`/v1/sites/${siteId}/flags/new-checkout/history`);
    expect(history.body.items[0]?.action).toBe("deleted");
  });

  it("had no page errors, console errors or server errors on the way", () => {
    expect(problems).toEqual([]);
  });
});

async function loadedScripts(page: Page): Promise<string[]> {
  return page.evaluate(() => performance.getEntriesByType("resource").map((e) => new URL(e.name).pathname));
}
