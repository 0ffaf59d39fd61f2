/**
 * A setup file (`test.setupFiles`) for the unit tier (Node) and the workers tier (workerd):
 * with `TEST_NOW` set to an ISO instant, e.g. `TEST_NOW=2027-12-05T09:00:00Z`, the tests run
 * as if it were that moment. `globalThis.Date` becomes a constructor whose `new Date()` and
 * `Date.now()` are shifted by `TEST_NOW` minus the real time at startup and still advance in
 * real time; `new Date(x)`, `Date.UTC` and `Date.parse` are unchanged, and its prototype is the
 * real one, so `instanceof Date` holds both ways (also for dates made by structured clone or by
 * code that kept the real constructor). In workerd the worker under test (`SELF.fetch`, the
 * queue consumer, the Durable Objects) shares the test isolate, so it sees the same clock.
 * Without `TEST_NOW` nothing changes.
 *
 * It reads `process.env.TEST_NOW`: Node's own; in workerd, the binding that
 * `workers-vitest.ts` passes (nodejs_compat fills `process.env` from string bindings).
 * Timers, Postgres' `now()` and Miniflare's alarm and queue schedulers keep the real clock:
 * under TEST_NOW a Durable Object alarm is a year away for Miniflare, so tests run alarms with
 * `runDurableObjectAlarm`. `vi.useFakeTimers()` starts at the shifted now; `vi.setSystemTime`
 * without fake timers, once reset, leaves vitest's real `Date` in place for the rest of a file.
 */

const INSTALLED = Symbol.for("sightline.testClock");

type Installed = { offsetMs: number; realDate: DateConstructor };

/** Shifts `globalThis.Date` so that now is `testNow` (an ISO instant); idempotent per realm. */
export function installTestClock(testNow: string): Installed {
  const g = globalThis as typeof globalThis & { [INSTALLED]?: Installed };
  const installed = g[INSTALLED];
  if (installed) return installed;
  const RealDate = globalThis.Date;
  const target = RealDate.parse(testNow);
  if (!/^\d{4}-\d\d-\d\dT/.test(testNow) || Number.isNaN(target)) {
    throw new Error(`TEST_NOW must be an ISO instant such as 2027-12-05T09:00:00Z, not ${JSON.stringify(testNow)}`);
  }
  const offsetMs = target - RealDate.now();
  const now = () => RealDate.now() + offsetMs;

  // A function rather than `class extends Date`: `Date()` called without `new` must still
  // work, and sharing the real prototype keeps `instanceof` true for real dates as well.
  const ShiftedDate = function (this: unknown, ...args: unknown[]) {
    if (!new.target) return new RealDate(now()).toString();
    return Reflect.construct(RealDate, args.length === 0 ? [now()] : args, new.target);
  } as unknown as DateConstructor;
  Object.setPrototypeOf(ShiftedDate, RealDate);
  Object.defineProperty(ShiftedDate, "name", { value: "Date" });
  Object.defineProperty(ShiftedDate, "length", { value: RealDate.length });
  Object.defineProperty(ShiftedDate, "prototype", { value: RealDate.prototype, writable: false });
  Object.defineProperty(ShiftedDate, "now", { value: now, writable: true, configurable: true });

  const result = { offsetMs, realDate: RealDate };
  Object.defineProperty(globalThis, "Date", { value: ShiftedDate, writable: true, configurable: true });
  Object.defineProperty(g, INSTALLED, { value: result, configurable: true });
  return result;
}

const testNow = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.TEST_NOW;
if (testNow) installTestClock(testNow);
