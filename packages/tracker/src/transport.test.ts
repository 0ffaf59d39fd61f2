import { describe, expect, it } from "vitest";
import { fakeBeacon, fakeFetch } from "./fakes.ts";
import { CONTENT_TYPE, classify, transport } from "./transport.ts";

const URL_ = "https://ingest.test/v1/collect";
const BODY = '{"v":1}';

describe("classify", () => {
  it.each([
    [200, "sent"],
    [202, "sent"],
    [204, "sent"],
    [429, "retry"],
    [500, "retry"],
    [502, "retry"],
    [503, "retry"],
    [400, "drop"],
    [403, "drop"],
    [404, "drop"],
    [413, "drop"],
    [422, "drop"],
  ])("%i -> %s", (status, outcome) => {
    expect(classify(status)).toBe(outcome);
  });
});

describe("transport", () => {
  it("POSTs text/plain with keepalive and no credentials", async () => {
    const net = fakeFetch([202]);
    expect(await transport(URL_, net.fetch)(BODY, false)).toBe("sent");
    expect(net.calls).toHaveLength(1);
    expect(net.calls[0]).toEqual({
      url: URL_,
      body: BODY,
      init: {
        method: "POST",
        body: BODY,
        headers: { "Content-Type": CONTENT_TYPE },
        keepalive: true,
        credentials: "omit",
      },
    });
  });

  it("reports a network error as retryable and a status by its class", async () => {
    const net = fakeFetch([new TypeError("Failed to fetch"), 503, 400]);
    const send = transport(URL_, net.fetch);
    expect(await send(BODY, false)).toBe("retry");
    expect(await send(BODY, false)).toBe("retry");
    expect(await send(BODY, false)).toBe("drop");
  });

  it("uses sendBeacon with a text/plain Blob while the page is going away", async () => {
    const net = fakeFetch();
    const b = fakeBeacon(true);
    expect(await transport(URL_, net.fetch, b.beacon)(BODY, true)).toBe("sent");
    expect(net.calls).toHaveLength(0);
    expect(b.calls).toHaveLength(1);
    const data = b.calls[0]?.data;
    expect(b.calls[0]?.url).toBe(URL_);
    expect(data?.type).toBe(CONTENT_TYPE.toLowerCase());
    expect(await data?.text()).toBe(BODY);
  });

  it("falls back to keepalive fetch when sendBeacon refuses, throws or is missing", async () => {
    const refused = fakeBeacon(false);
    const throwing = () => {
      throw new TypeError("Illegal invocation");
    };
    for (const beacon of [refused.beacon, throwing, undefined]) {
      const net = fakeFetch([500]);
      expect(await transport(URL_, net.fetch, beacon)(BODY, true)).toBe("retry");
      expect(net.calls.map((c) => [c.body, c.init.keepalive])).toEqual([[BODY, true]]);
    }
    expect(refused.calls).toHaveLength(1);
  });

  it("does not use sendBeacon for ordinary flushes, whose answer it needs", async () => {
    const net = fakeFetch();
    const b = fakeBeacon(true);
    await transport(URL_, net.fetch, b.beacon)(BODY, false);
    expect(b.calls).toHaveLength(0);
    expect(net.calls).toHaveLength(1);
  });
});
