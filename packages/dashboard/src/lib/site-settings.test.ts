import { LIMITS } from "@sightline/shared/limits";
import { describe, expect, it } from "vitest";
import { settingsProblems } from "./site-settings.ts";

const A = LIMITS.api;
const R = LIMITS.recording;

describe("settingsProblems: the site forms held to the API's schema", () => {
  it("takes every setting at its LIMITS bound", async () => {
    expect(
      await settingsProblems({
        name: "n".repeat(A.maxNameLength),
        origins: Array.from({ length: A.maxOrigins }, (_, i) => `https://s${i}.example`),
        dailyEventQuota: A.maxDailyEventQuota,
        retentionDays: A.maxRetentionDays,
        timeZone: "Europe/Berlin",
        recordingSampleRate: 1,
        recordingDailyQuota: R.maxDailyQuota,
        recordingRetentionDays: R.maxRetentionDays,
        recordingConsent: "opt-in",
      }),
    ).toEqual([]);
  });

  it("refuses each setting one past its bound, naming the field", async () => {
    const cases: [Record<string, unknown>, string, string][] = [
      [{ name: "n".repeat(A.maxNameLength + 1) }, "name", `Name: at most ${A.maxNameLength} characters.`],
      [
        { origins: Array.from({ length: A.maxOrigins + 1 }, (_, i) => `https://s${i}.example`) },
        "origins",
        `Allowed origins: at most ${A.maxOrigins} entries.`,
      ],
      [
        { origins: [`https://${"a".repeat(A.maxOriginLength)}.example`] },
        "origins",
        `Allowed origins (entry 1): at most ${A.maxOriginLength} characters.`,
      ],
      [
        { dailyEventQuota: A.maxDailyEventQuota + 1 },
        "dailyEventQuota",
        `Daily event quota: at most ${A.maxDailyEventQuota.toLocaleString("en")}.`,
      ],
      [{ retentionDays: 0 }, "retentionDays", "Retention: at least 1."],
      [
        { retentionDays: A.maxRetentionDays + 1 },
        "retentionDays",
        `Retention: at most ${A.maxRetentionDays.toLocaleString("en")}.`,
      ],
      [{ recordingSampleRate: 1.01 }, "recordingSampleRate", "Sessions recorded: at most 1."],
      [
        { recordingDailyQuota: R.maxDailyQuota + 1 },
        "recordingDailyQuota",
        `Recordings per day: at most ${R.maxDailyQuota.toLocaleString("en")}.`,
      ],
      [
        { recordingRetentionDays: R.maxRetentionDays + 1 },
        "recordingRetentionDays",
        `Keep recordings: at most ${R.maxRetentionDays.toLocaleString("en")}.`,
      ],
    ];
    for (const [body, field, message] of cases) {
      expect(await settingsProblems(body), JSON.stringify(body).slice(0, 60)).toEqual([{ field, message }]);
    }
  });

  it("refuses what the API's refinements refuse: a time zone that is not one, a fraction of a day", async () => {
    const [zone] = await settingsProblems({ timeZone: "Mars/Olympus" });
    expect(zone?.field).toBe("timeZone");
    expect(zone?.message).toContain("IANA time zone");
    const [consent] = await settingsProblems({ recordingConsent: "opt_in" as never });
    expect(consent?.field).toBe("recordingConsent");
    expect(consent?.message).toMatch(/^Record only after consent: .*"opt-out"/);
    const [days] = await settingsProblems({ retentionDays: 1.5 });
    expect(days?.field).toBe("retentionDays");
  });

  it("leaves the check to the API when the schema's chunk cannot be fetched", async () => {
    const offline = () => Promise.reject(new TypeError("Failed to fetch dynamically imported module"));
    expect(await settingsProblems({ retentionDays: 0 }, offline)).toEqual([]);
  });
});
