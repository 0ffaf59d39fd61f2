import { uuidv7Time } from "@sightline/shared/ids";
import { describe, expect, it } from "vitest";
import { memoryStore } from "./fakes.ts";
import { SESSION_KEY, type SessionStore, sessions } from "./session.ts";

const IDLE = 30 * 60 * 1000;
const T0 = 1_800_000_000_000;

describe("sessions", () => {
  it("keeps one id while active and records lastSeen on every call", () => {
    const store = memoryStore();
    const session = sessions(() => store, IDLE);
    const id = session(T0);
    expect(uuidv7Time(id)).toBe(T0);
    expect(session(T0 + IDLE)).toBe(id);
    expect(session(T0 + 2 * IDLE)).toBe(id);
    expect(store.data.get(SESSION_KEY)).toBe(`${id}.${T0 + 2 * IDLE}`);
  });

  it("starts a new session after more than sessionIdleMs without activity", () => {
    const store = memoryStore();
    const session = sessions(() => store, IDLE);
    const first = session(T0);
    const second = session(T0 + IDLE + 1);
    expect(second).not.toBe(first);
    expect(uuidv7Time(second)).toBe(T0 + IDLE + 1);
    expect(store.data.get(SESSION_KEY)).toBe(`${second}.${T0 + IDLE + 1}`);
  });

  it("joins the session another tab wrote to storage", () => {
    const store = memoryStore();
    const other = sessions(() => store, IDLE)(T0);
    expect(sessions(() => store, IDLE)(T0 + 1000)).toBe(other);
  });

  it("replaces a garbled stored value rather than sending it", () => {
    const store = memoryStore();
    for (const bad of ["nonsense", "abc.123", `0190a0b0-0000-4000-8000-000000000000.${T0}`]) {
      store.data.set(SESSION_KEY, bad);
      const id = sessions(() => store, IDLE)(T0);
      expect(id).not.toBe(bad.split(".")[0]);
      expect(uuidv7Time(id)).toBe(T0);
    }
  });

  it("falls back to memory when localStorage cannot even be reached", () => {
    const session = sessions(() => {
      throw new DOMException("blocked", "SecurityError");
    }, IDLE);
    const id = session(T0);
    expect(session(T0 + 60_000)).toBe(id);
    expect(session(T0 + 60_000 + IDLE + 1)).not.toBe(id);
  });

  it("falls back to memory when writes fail, and is not fooled by a stale stored value", () => {
    const store = memoryStore();
    const stale = sessions(() => store, IDLE)(T0);
    const readOnly: SessionStore = {
      getItem: store.getItem,
      setItem: () => {
        throw new DOMException("full", "QuotaExceededError");
      },
    };
    const session = sessions(() => readOnly, IDLE);
    const id = session(T0 + IDLE + 1);
    expect(id).not.toBe(stale);
    // Storage still says T0, but this page saw activity since; the memory copy wins.
    expect(session(T0 + 2 * IDLE)).toBe(id);
  });

  it("works with no storage at all", () => {
    const session = sessions(() => undefined, IDLE);
    expect(session(T0 + 5)).toBe(session(T0));
  });
});
