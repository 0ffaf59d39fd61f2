// Generated from schema.ts by zod's compiler (compile.ts); `pnpm --filter @sightline/shared gen` rewrites it.
// Do not edit: a test fails when it differs from what the schemas compile to.
// @ts-nocheck
import { util } from "zod/v4/core";

/** zod's compiled parser for `collectBatch`. */
export const parseCollectBatch = (() => {
  const INVALID = Symbol.for("zod.compile.invalid");
  const c0 = util.codePointLength;
  const c1 = new RegExp("^([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-7[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12})$", "");
  const c2 = new RegExp("^([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-7[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12})$", "");
  return (input) => {
if (typeof input !== "object" || input === null || Array.isArray(input)) return INVALID;
const v0 = input["v"];
if (v0 !== 1) return INVALID;
const v1 = input["siteKey"];
if (typeof v1 !== "string") return INVALID;
const v2 = typeof v1 === "string" && v1.length >= 1 && v1.length < 2 ? c0(v1) : v1.length;
if (v2 < 1) return INVALID;
const v3 = typeof v1 === "string" && v1.length > 32 ? c0(v1) : v1.length;
if (v3 > 32) return INVALID;
const v4 = input["sessionId"];
if (typeof v4 !== "string") return INVALID;
c1.lastIndex = 0;
if (!c1.test(v4)) return INVALID;
const v5 = input["sentAt"];
if (typeof v5 !== "number" || !Number.isFinite(v5)) return INVALID;
if (!Number.isSafeInteger(v5)) return INVALID;
if (v5 < 0) return INVALID;
const v6 = input["events"];
if (!Array.isArray(v6)) return INVALID;
if (v6.length > 100) return INVALID;
const v7 = new Array(v6.length);
for (let v8 = 0; v8 < v6.length; v8++) {
  const v9 = v6[v8];
  const v10 = v9?.["type"];
  let v11;
  if (v10 === "pageview") {
    if (typeof v9 !== "object" || v9 === null || Array.isArray(v9)) return INVALID;
    const v12 = v9["type"];
    if (v12 !== "pageview") return INVALID;
    const v13 = v9["id"];
    if (typeof v13 !== "string") return INVALID;
    c2.lastIndex = 0;
    if (!c2.test(v13)) return INVALID;
    const v14 = v9["ts"];
    if (typeof v14 !== "number" || !Number.isFinite(v14)) return INVALID;
    if (!Number.isSafeInteger(v14)) return INVALID;
    if (v14 < 0) return INVALID;
    const v15 = v9["url"];
    if (typeof v15 !== "string") return INVALID;
    const v16 = typeof v15 === "string" && v15.length >= 1 && v15.length < 2 ? c0(v15) : v15.length;
    if (v16 < 1) return INVALID;
    const v17 = typeof v15 === "string" && v15.length > 2048 ? c0(v15) : v15.length;
    if (v17 > 2048) return INVALID;
    const v18 = v9["referrer"];
    let v19 = (() => {
      let v20;
      if (v18 !== undefined) {
        if (typeof v18 !== "string") return INVALID;
        const v21 = typeof v18 === "string" && v18.length > 2048 ? c0(v18) : v18.length;
        if (v21 > 2048) return INVALID;
        v20 = v18;
      }
      return v20;
    })();
    if (v19 === INVALID) {
      if ("referrer" in v9) return INVALID;
      v19 = undefined;
    }
    const v22 = v9["title"];
    let v23 = (() => {
      let v24;
      if (v22 !== undefined) {
        if (typeof v22 !== "string") return INVALID;
        const v25 = typeof v22 === "string" && v22.length > 512 ? c0(v22) : v22.length;
        if (v25 > 512) return INVALID;
        v24 = v22;
      }
      return v24;
    })();
    if (v23 === INVALID) {
      if ("title" in v9) return INVALID;
      v23 = undefined;
    }
    const v26 = {};
    v26["type"] = v12;
    v26["id"] = v13;
    v26["ts"] = v14;
    v26["url"] = v15;
    if ("referrer" in v9) v26["referrer"] = v19;
    if ("title" in v9) v26["title"] = v23;
    v11 = v26;
  }
  else { return INVALID; }
  v7[v8] = v11;
}
const v27 = typeof v7 === "string" && v7.length >= 1 && v7.length < 2 ? c0(v7) : v7.length;
if (v27 < 1) return INVALID;
const v28 = typeof v7 === "string" && v7.length > 100 ? c0(v7) : v7.length;
if (v28 > 100) return INVALID;
const v29 = { "v": v0, "siteKey": v1, "sessionId": v4, "sentAt": v5, "events": v7 };
return v29;
}
})();

/** zod's compiled parser for `ingestMessage`. */
export const parseIngestMessage = (() => {
  const INVALID = Symbol.for("zod.compile.invalid");
  const c0 = util.codePointLength;
  const c1 = new RegExp("^([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-8][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}|00000000-0000-0000-0000-000000000000|ffffffff-ffff-ffff-ffff-ffffffffffff)$", "");
  const c2 = new Set(["desktop","mobile","tablet","bot","unknown"]);
  const c3 = new RegExp("^([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-8][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}|00000000-0000-0000-0000-000000000000|ffffffff-ffff-ffff-ffff-ffffffffffff)$", "");
  return (input) => {
if (typeof input !== "object" || input === null || Array.isArray(input)) return INVALID;
const v0 = input["v"];
if (v0 !== 1) return INVALID;
const v1 = input["siteId"];
if (typeof v1 !== "string") return INVALID;
const v2 = typeof v1 === "string" && v1.length >= 1 && v1.length < 2 ? c0(v1) : v1.length;
if (v2 < 1) return INVALID;
const v3 = typeof v1 === "string" && v1.length > 64 ? c0(v1) : v1.length;
if (v3 > 64) return INVALID;
const v4 = input["shards"];
if (typeof v4 !== "number" || !Number.isFinite(v4)) return INVALID;
if (!Number.isSafeInteger(v4)) return INVALID;
if (v4 < 1) return INVALID;
if (v4 > 64) return INVALID;
const v5 = input["sessionId"];
if (typeof v5 !== "string") return INVALID;
c1.lastIndex = 0;
if (!c1.test(v5)) return INVALID;
const v6 = input["receivedAt"];
if (typeof v6 !== "number" || !Number.isFinite(v6)) return INVALID;
if (!Number.isSafeInteger(v6)) return INVALID;
if (v6 < 0) return INVALID;
const v7 = input["country"];
let v8 = (() => {
  let v9;
  if (v7 !== undefined) {
    if (typeof v7 !== "string") return INVALID;
    const v10 = typeof v7 === "string" && v7.length >= 1 && v7.length < 2 ? c0(v7) : v7.length;
    if (v10 < 1) return INVALID;
    const v11 = typeof v7 === "string" && v7.length > 7 ? c0(v7) : v7.length;
    if (v11 > 7) return INVALID;
    v9 = v7;
  }
  return v9;
})();
if (v8 === INVALID) {
  if ("country" in input) return INVALID;
  v8 = undefined;
}
const v12 = input["device"];
let v13 = (() => {
  let v14;
  if (v12 !== undefined) {
    if (!c2.has(v12)) return INVALID;
    v14 = v12;
  }
  return v14;
})();
if (v13 === INVALID) {
  if ("device" in input) return INVALID;
  v13 = undefined;
}
const v15 = input["events"];
if (!Array.isArray(v15)) return INVALID;
if (v15.length > 100) return INVALID;
const v16 = new Array(v15.length);
for (let v17 = 0; v17 < v15.length; v17++) {
  const v18 = v15[v17];
  if (typeof v18 !== "object" || v18 === null || Array.isArray(v18)) return INVALID;
  const v19 = v18["id"];
  if (typeof v19 !== "string") return INVALID;
  c3.lastIndex = 0;
  if (!c3.test(v19)) return INVALID;
  const v20 = v18["ts"];
  if (typeof v20 !== "number" || !Number.isFinite(v20)) return INVALID;
  if (!Number.isSafeInteger(v20)) return INVALID;
  if (v20 < 0) return INVALID;
  const v21 = v18["path"];
  if (typeof v21 !== "string") return INVALID;
  const v22 = typeof v21 === "string" && v21.length > 2048 ? c0(v21) : v21.length;
  if (v22 > 2048) return INVALID;
  const v23 = v18["ref"];
  let v24 = (() => {
    let v25;
    if (v23 !== undefined) {
      if (typeof v23 !== "string") return INVALID;
      const v26 = typeof v23 === "string" && v23.length >= 1 && v23.length < 2 ? c0(v23) : v23.length;
      if (v26 < 1) return INVALID;
      const v27 = typeof v23 === "string" && v23.length > 253 ? c0(v23) : v23.length;
      if (v27 > 253) return INVALID;
      v25 = v23;
    }
    return v25;
  })();
  if (v24 === INVALID) {
    if ("ref" in v18) return INVALID;
    v24 = undefined;
  }
  const v28 = {};
  v28["id"] = v19;
  v28["ts"] = v20;
  v28["path"] = v21;
  if ("ref" in v18) v28["ref"] = v24;
  v16[v17] = v28;
}
const v29 = typeof v16 === "string" && v16.length >= 1 && v16.length < 2 ? c0(v16) : v16.length;
if (v29 < 1) return INVALID;
const v30 = typeof v16 === "string" && v16.length > 100 ? c0(v16) : v16.length;
if (v30 > 100) return INVALID;
const v31 = {};
v31["v"] = v0;
v31["siteId"] = v1;
v31["shards"] = v4;
v31["sessionId"] = v5;
v31["receivedAt"] = v6;
if ("country" in input) v31["country"] = v8;
if ("device" in input) v31["device"] = v13;
v31["events"] = v16;
return v31;
}
})();
