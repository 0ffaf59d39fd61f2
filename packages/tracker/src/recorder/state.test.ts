import { describe, expect, it } from "vitest";
import { memoryStore } from "../fakes.ts";
import { recState, STATE_KEY } from "./state.ts";

const A = "0190a5c4-1234-7abc-8def-0123456789ab";
const B = "0190a5c4-9999-7abc-8def-0123456789ab";

describe("recording state", () => {
  it("continues seq and bytes on the session's next page", () => {
    const store = memoryStore();
    const page1 = recState(() => store, A, 1_000);
    expect([page1.take(100), page1.take(50)]).toEqual([0, 1]);
    const page2 = recState(() => store, A, 9_000);
    expect(page2.get()).toEqual({ s: A, q: 2, b: 150, t: 1_000 });
    expect(page2.take(10)).toBe(2);
    expect(JSON.parse(store.data.get(STATE_KEY) ?? "")).toEqual({ s: A, q: 3, b: 160, t: 1_000 });
  });

  it("starts at 0 for a new session", () => {
    const store = memoryStore();
    recState(() => store, A, 1_000).take(100);
    const other = recState(() => store, B, 5_000);
    expect(other.get()).toEqual({ s: B, q: 0, b: 0, t: 5_000 });
  });

  it("takes the furthest seq when another tab of the session moved on", () => {
    const store = memoryStore();
    const tab1 = recState(() => store, A, 1_000);
    const tab2 = recState(() => store, A, 1_000);
    expect([tab1.take(1), tab2.take(1), tab1.take(1)]).toEqual([0, 1, 2]);
  });

  it("remembers an ended recording", () => {
    const store = memoryStore();
    recState(() => store, A, 1_000).end();
    expect(recState(() => store, A, 2_000).get().x).toBe(1);
  });

  it("counts in memory where storage throws", () => {
    const broken = () => {
      throw new Error("SecurityError");
    };
    const st = recState(broken, A, 1_000);
    expect([st.take(1), st.take(1)]).toEqual([0, 1]);
    expect(recState(() => undefined, A, 1_000).take(1)).toBe(0);
  });
});
