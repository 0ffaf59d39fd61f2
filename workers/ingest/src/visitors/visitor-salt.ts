/**
 * The keeper of the daily visitor salts: one Durable Object for the whole deployment, so every
 * location hashes a day's visitors with the same random salt (KV's minute of propagation
 * would let two locations mint different ones). It keeps today's and yesterday's salt (a
 * batch may straddle midnight) and deletes older ones, after which that day's visitor hashes
 * can no longer be linked to anyone.
 */
import { DurableObject } from "cloudflare:workers";
import { dayOf } from "@sightline/core/aggregate";

export class VisitorSalt extends DurableObject<Env> {
  /** The salt of a UTC day (days since the epoch), minted on first use; null for days gone. */
  async forDay(day: number): Promise<string | null> {
    const today = dayOf(Date.now());
    if (day < today - 1 || day > today + 1) return null;
    const key = `salt:${day}`;
    let salt = await this.ctx.storage.get<string>(key);
    if (salt === undefined) {
      salt = randomHex(32);
      await this.ctx.storage.put(key, salt);
      const old = [...(await this.ctx.storage.list({ prefix: "salt:" })).keys()].filter(
        (k) => Number(k.slice(5)) < today - 1,
      );
      if (old.length > 0) await this.ctx.storage.delete(old);
    }
    return salt;
  }
}

function randomHex(bytes: number): string {
  let hex = "";
  for (const b of crypto.getRandomValues(new Uint8Array(bytes))) hex += b.toString(16).padStart(2, "0");
  return hex;
}
