import { describe, expect, it } from "vitest";
import {
  DUMMY_PASSWORD_HASH,
  hashPassword,
  looksLikeApiToken,
  newApiToken,
  secretsEqual,
  verifyPassword,
} from "./index.ts";

describe("passwords", () => {
  it("verifies the right password only, with a fresh salt each time", async () => {
    const a = await hashPassword("correct horse battery staple");
    const b = await hashPassword("correct horse battery staple");
    expect(a).not.toBe(b);
    expect(a).toMatch(/^pbkdf2-sha256\$100000\$/);
    expect(await verifyPassword("correct horse battery staple", a)).toBe(true);
    expect(await verifyPassword("correct horse battery stapl", a)).toBe(false);
    expect(await verifyPassword("anything", DUMMY_PASSWORD_HASH)).toBe(false);
    expect(await verifyPassword("anything", "garbage")).toBe(false);
  });
});

describe("api tokens", () => {
  it("have a visible prefix and are stored as a hash", async () => {
    const t = await newApiToken();
    expect(t.token.startsWith(t.prefix)).toBe(true);
    expect(t.prefix).toMatch(/^sl_.{8}$/);
    expect(t.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(t.hash).not.toContain(t.token);
    expect(looksLikeApiToken(t.token)).toBe(true);
    expect(looksLikeApiToken("Bearer x")).toBe(false);
  });
});

describe("secretsEqual", () => {
  it("is true only for the same secret, whatever the lengths", async () => {
    const expected = "test-setup-token-0123456789abcdef";
    expect(await secretsEqual(expected, expected)).toBe(true);
    expect(await secretsEqual(`${expected}x`, expected)).toBe(false);
    expect(await secretsEqual(expected.slice(0, -1), expected)).toBe(false);
    expect(await secretsEqual("", expected)).toBe(false);
    expect(await secretsEqual("x".repeat(10_000), expected)).toBe(false);
  });
});
