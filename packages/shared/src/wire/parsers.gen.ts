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
const v15 = input["visitor"];
let v16 = (() => {
  let v17;
  if (v15 !== undefined) {
    if (typeof v15 !== "string") return INVALID;
    const v18 = typeof v15 === "string" && v15.length >= 1 && v15.length < 2 ? c0(v15) : v15.length;
    if (v18 < 1) return INVALID;
    const v19 = typeof v15 === "string" && v15.length > 64 ? c0(v15) : v15.length;
    if (v19 > 64) return INVALID;
    v17 = v15;
  }
  return v17;
})();
if (v16 === INVALID) {
  if ("visitor" in input) return INVALID;
  v16 = undefined;
}
const v20 = input["quota"];
let v21 = (() => {
  let v22;
  if (v20 !== undefined) {
    if (typeof v20 !== "number" || !Number.isFinite(v20)) return INVALID;
    if (!Number.isSafeInteger(v20)) return INVALID;
    if (v20 < 0) return INVALID;
    v22 = v20;
  }
  return v22;
})();
if (v21 === INVALID) {
  if ("quota" in input) return INVALID;
  v21 = undefined;
}
const v23 = input["events"];
if (!Array.isArray(v23)) return INVALID;
if (v23.length > 100) return INVALID;
const v24 = new Array(v23.length);
for (let v25 = 0; v25 < v23.length; v25++) {
  const v26 = v23[v25];
  if (typeof v26 !== "object" || v26 === null || Array.isArray(v26)) return INVALID;
  const v27 = v26["id"];
  if (typeof v27 !== "string") return INVALID;
  c3.lastIndex = 0;
  if (!c3.test(v27)) return INVALID;
  const v28 = v26["ts"];
  if (typeof v28 !== "number" || !Number.isFinite(v28)) return INVALID;
  if (!Number.isSafeInteger(v28)) return INVALID;
  if (v28 < 0) return INVALID;
  const v29 = v26["path"];
  if (typeof v29 !== "string") return INVALID;
  const v30 = typeof v29 === "string" && v29.length > 2048 ? c0(v29) : v29.length;
  if (v30 > 2048) return INVALID;
  const v31 = v26["ref"];
  let v32 = (() => {
    let v33;
    if (v31 !== undefined) {
      if (typeof v31 !== "string") return INVALID;
      const v34 = typeof v31 === "string" && v31.length >= 1 && v31.length < 2 ? c0(v31) : v31.length;
      if (v34 < 1) return INVALID;
      const v35 = typeof v31 === "string" && v31.length > 253 ? c0(v31) : v31.length;
      if (v35 > 253) return INVALID;
      v33 = v31;
    }
    return v33;
  })();
  if (v32 === INVALID) {
    if ("ref" in v26) return INVALID;
    v32 = undefined;
  }
  const v36 = v26["utm_source"];
  let v37 = (() => {
    let v38;
    if (v36 !== undefined) {
      if (typeof v36 !== "string") return INVALID;
      const v39 = typeof v36 === "string" && v36.length >= 1 && v36.length < 2 ? c0(v36) : v36.length;
      if (v39 < 1) return INVALID;
      const v40 = typeof v36 === "string" && v36.length > 100 ? c0(v36) : v36.length;
      if (v40 > 100) return INVALID;
      v38 = v36;
    }
    return v38;
  })();
  if (v37 === INVALID) {
    if ("utm_source" in v26) return INVALID;
    v37 = undefined;
  }
  const v41 = v26["utm_medium"];
  let v42 = (() => {
    let v43;
    if (v41 !== undefined) {
      if (typeof v41 !== "string") return INVALID;
      const v44 = typeof v41 === "string" && v41.length >= 1 && v41.length < 2 ? c0(v41) : v41.length;
      if (v44 < 1) return INVALID;
      const v45 = typeof v41 === "string" && v41.length > 100 ? c0(v41) : v41.length;
      if (v45 > 100) return INVALID;
      v43 = v41;
    }
    return v43;
  })();
  if (v42 === INVALID) {
    if ("utm_medium" in v26) return INVALID;
    v42 = undefined;
  }
  const v46 = v26["utm_campaign"];
  let v47 = (() => {
    let v48;
    if (v46 !== undefined) {
      if (typeof v46 !== "string") return INVALID;
      const v49 = typeof v46 === "string" && v46.length >= 1 && v46.length < 2 ? c0(v46) : v46.length;
      if (v49 < 1) return INVALID;
      const v50 = typeof v46 === "string" && v46.length > 100 ? c0(v46) : v46.length;
      if (v50 > 100) return INVALID;
      v48 = v46;
    }
    return v48;
  })();
  if (v47 === INVALID) {
    if ("utm_campaign" in v26) return INVALID;
    v47 = undefined;
  }
  const v51 = {};
  v51["id"] = v27;
  v51["ts"] = v28;
  v51["path"] = v29;
  if ("ref" in v26) v51["ref"] = v32;
  if ("utm_source" in v26) v51["utm_source"] = v37;
  if ("utm_medium" in v26) v51["utm_medium"] = v42;
  if ("utm_campaign" in v26) v51["utm_campaign"] = v47;
  v24[v25] = v51;
}
const v52 = typeof v24 === "string" && v24.length >= 1 && v24.length < 2 ? c0(v24) : v24.length;
if (v52 < 1) return INVALID;
const v53 = typeof v24 === "string" && v24.length > 100 ? c0(v24) : v24.length;
if (v53 > 100) return INVALID;
const v54 = {};
v54["v"] = v0;
v54["siteId"] = v1;
v54["shards"] = v4;
v54["sessionId"] = v5;
v54["receivedAt"] = v6;
if ("country" in input) v54["country"] = v8;
if ("device" in input) v54["device"] = v13;
if ("visitor" in input) v54["visitor"] = v16;
if ("quota" in input) v54["quota"] = v21;
v54["events"] = v24;
return v54;
}
})();
