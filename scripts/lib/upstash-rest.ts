/**
 * A local stand-in for Upstash Redis' REST API in front of a real redis-server, so the
 * production client (@upstash/redis, and @upstash/ratelimit on it) runs unchanged in workerd
 * tests and locally. The protocol as @upstash/redis 1.39 speaks it:
 * - POST `/` with one command as a JSON array: `{ "result": ... }`, or 400 `{ "error": ... }`;
 * - POST `/pipeline` and `/multi-exec` with an array of commands: an array of `{ result }` /
 *   `{ error }`, one per command (a transaction Redis aborts as a whole is a 400);
 * - `Authorization: Bearer <token>` on every path, else 401;
 * - `Upstash-Encoding: base64`: every string in a result base64-encoded, except a whole
 *   result of "OK", which Upstash sends as it is and the client expects so.
 * @upstash/ratelimit 2.1+ starts its Lua scripts with `#!lua flags=allow-key-locking`, a flag
 * only Upstash knows: the line is blanked (keeping line numbers) and EVALSHA / SCRIPT LOAD /
 * SCRIPT EXISTS are mapped between the client's hash of the script and Redis' hash of the
 * blanked one, so the client's EVALSHA-then-EVAL dance works as it does against Upstash.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import Redis from "ioredis";

export interface UpstashRestOptions {
  /** Port on 127.0.0.1; 0 picks a free one. */
  port: number;
  /** The redis-server behind it, e.g. `redis://127.0.0.1:6379`. */
  redisUrl: string;
  /** The bearer token every request must carry. */
  token: string;
  /** Largest request body accepted; Upstash's own cap is in the megabytes too. */
  maxBodyBytes?: number;
}

export interface UpstashRest {
  /** For `UPSTASH_REDIS_REST_URL`. */
  url: string;
  /** For `UPSTASH_REDIS_REST_TOKEN`. */
  token: string;
  port: number;
  close(): Promise<void>;
}

type Arg = string | number;
type Reply = { result: unknown } | { error: string };

class CommandError extends Error {}

// Commands that would change or block the one connection every request shares. Transactions
// go through /multi-exec.
const REFUSED = new Set([
  "auth",
  "blmove",
  "blmpop",
  "blpop",
  "brpop",
  "brpoplpush",
  "bzmpop",
  "bzpopmax",
  "bzpopmin",
  "client",
  "discard",
  "exec",
  "hello",
  "monitor",
  "multi",
  "psubscribe",
  "punsubscribe",
  "quit",
  "reset",
  "select",
  "ssubscribe",
  "subscribe",
  "sunsubscribe",
  "unsubscribe",
  "unwatch",
  "wait",
  "waitaof",
  "watch",
]);

const OK = Buffer.from("OK");
const sha1 = (s: string) => createHash("sha1").update(s).digest("hex");

export async function startUpstashRest(opts: UpstashRestOptions): Promise<UpstashRest> {
  const maxBodyBytes = opts.maxBodyBytes ?? 10 * 1024 * 1024;
  const expected = Buffer.from(`Bearer ${opts.token}`);
  const redis = new Redis(opts.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 2 });
  await redis.connect();
  // The client's SHA1 of a script as it sent it -> Redis' SHA1 of the script it was given.
  const shas = new Map<string, string>();

  function stripShebang(script: string): string {
    if (!script.startsWith("#!")) return script;
    const stripped = script.replace(/^#![^\n]*/, "");
    shas.set(sha1(script), sha1(stripped));
    return stripped;
  }

  /** Validates one command and rewrites what Redis would refuse; `after` maps its result. */
  function prepare(raw: unknown): { name: string; args: Arg[]; after?: (r: unknown) => unknown } {
    if (!Array.isArray(raw) || raw.length === 0 || typeof raw[0] !== "string") {
      throw new CommandError("ERR failed to parse command");
    }
    const args = raw.slice(1).map((a: unknown): Arg => {
      if (typeof a === "string" || typeof a === "number") return a;
      if (typeof a === "boolean") return String(a);
      throw new CommandError("ERR failed to parse command: arguments must be strings or numbers");
    });
    const name = raw[0].toLowerCase();
    if (REFUSED.has(name)) throw new CommandError(`ERR ${name} is not supported by the local Upstash REST server`);
    const mapSha = (a: Arg) => (typeof a === "string" ? (shas.get(a.toLowerCase()) ?? a) : a);
    if ((name === "eval" || name === "eval_ro") && typeof args[0] === "string") args[0] = stripShebang(args[0]);
    if ((name === "evalsha" || name === "evalsha_ro") && args[0] !== undefined) args[0] = mapSha(args[0]);
    if (name === "script") {
      const sub = String(args[0] ?? "").toLowerCase();
      if (sub === "load" && typeof args[1] === "string") {
        const original = args[1];
        args[1] = stripShebang(original);
        return { name, args, after: () => Buffer.from(sha1(original)) };
      }
      if (sub === "exists") for (let i = 1; i < args.length; i++) args[i] = mapSha(args[i] as Arg);
    }
    return { name, args };
  }

  function encode(value: unknown, base64: boolean): unknown {
    if (Buffer.isBuffer(value)) return value.toString(base64 ? "base64" : "utf8");
    if (Array.isArray(value)) return value.map((v) => encode(v, base64));
    if (value instanceof Error) return value.message;
    return value ?? null;
  }
  const encodeResult = (value: unknown, base64: boolean) =>
    Buffer.isBuffer(value) && value.equals(OK) ? "OK" : encode(value, base64);
  const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e));

  // Upper case: ioredis reshapes some replies (HGETALL into an object) by lower-case name.
  const send = (c: { name: string; args: Arg[] }) => redis.callBuffer(c.name.toUpperCase(), ...c.args);

  async function single(body: unknown, base64: boolean): Promise<[number, Reply]> {
    const cmd = prepare(body);
    try {
      const raw = await send(cmd);
      return [200, { result: encodeResult(cmd.after ? cmd.after(raw) : raw, base64) }];
    } catch (e) {
      return [400, { error: errorText(e) }];
    }
  }

  function commandList(body: unknown) {
    if (!Array.isArray(body) || body.length === 0) throw new CommandError("ERR expected a non-empty array of commands");
    return body.map(prepare);
  }

  async function pipeline(body: unknown, base64: boolean): Promise<[number, Reply[]]> {
    const cmds = commandList(body);
    // One connection keeps them in order; like Upstash's, a pipeline is not atomic.
    const settled = await Promise.allSettled(cmds.map(send));
    return [
      200,
      settled.map((s, i): Reply => {
        if (s.status === "rejected") return { error: errorText(s.reason) };
        const after = cmds[i]?.after;
        return { result: encodeResult(after ? after(s.value) : s.value, base64) };
      }),
    ];
  }

  async function multiExec(body: unknown, base64: boolean): Promise<[number, Reply | Reply[]]> {
    const cmds = commandList(body);
    const tx = redis.multi();
    for (const c of cmds) tx.callBuffer(c.name.toUpperCase(), ...c.args);
    let results: [Error | null, unknown][] | null;
    try {
      results = await tx.exec();
    } catch (e) {
      return [400, { error: errorText(e) }];
    }
    if (!results) return [400, { error: "ERR transaction aborted" }];
    return [
      200,
      results.map(([err, value], i): Reply => {
        if (err) return { error: err.message };
        const after = cmds[i]?.after;
        return { result: encodeResult(after ? after(value) : value, base64) };
      }),
    ];
  }

  function authorized(req: IncomingMessage): boolean {
    const given = Buffer.from(req.headers.authorization ?? "");
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  function readBody(req: IncomingMessage): Promise<string | null> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      req.on("data", (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBodyBytes) {
          resolve(null);
          req.resume();
          return;
        }
        chunks.push(chunk);
      });
      req.on("end", () => resolve(size > maxBodyBytes ? null : Buffer.concat(chunks).toString("utf8")));
      req.on("error", reject);
    });
  }

  function reply(res: ServerResponse, status: number, body: unknown) {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  }

  async function handle(req: IncomingMessage, res: ServerResponse) {
    if (!authorized(req)) return reply(res, 401, { error: "Unauthorized" });
    const path = new URL(req.url ?? "/", "http://local").pathname.replace(/\/+$/, "") || "/";
    const route = path === "/" ? single : path === "/pipeline" ? pipeline : path === "/multi-exec" ? multiExec : null;
    if (!route) return reply(res, 404, { error: `ERR unknown path ${path}` });
    if (req.method !== "POST") return reply(res, 405, { error: "ERR only POST is supported" });
    const text = await readBody(req);
    if (text === null) return reply(res, 413, { error: "ERR request body too large" });
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return reply(res, 400, { error: "ERR failed to parse command: body is not JSON" });
    }
    const base64 = String(req.headers["upstash-encoding"] ?? "").toLowerCase() === "base64";
    try {
      const [status, out] = await route(body, base64);
      reply(res, status, out);
    } catch (e) {
      if (e instanceof CommandError) return reply(res, 400, { error: e.message });
      throw e;
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) reply(res, 500, { error: `ERR ${errorText(e)}` });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    token: opts.token,
    port,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
