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
  const c3 = new RegExp("^[a-z0-9][a-z0-9._-]{0,63}=[a-z0-9][a-z0-9._-]{0,31}$", "");
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
  else if (v10 === "click") {
    if (typeof v9 !== "object" || v9 === null || Array.isArray(v9)) return INVALID;
    const v27 = v9["type"];
    if (v27 !== "click") return INVALID;
    const v28 = v9["id"];
    if (typeof v28 !== "string") return INVALID;
    c2.lastIndex = 0;
    if (!c2.test(v28)) return INVALID;
    const v29 = v9["ts"];
    if (typeof v29 !== "number" || !Number.isFinite(v29)) return INVALID;
    if (!Number.isSafeInteger(v29)) return INVALID;
    if (v29 < 0) return INVALID;
    const v30 = v9["url"];
    if (typeof v30 !== "string") return INVALID;
    const v31 = typeof v30 === "string" && v30.length >= 1 && v30.length < 2 ? c0(v30) : v30.length;
    if (v31 < 1) return INVALID;
    const v32 = typeof v30 === "string" && v30.length > 2048 ? c0(v30) : v30.length;
    if (v32 > 2048) return INVALID;
    const v33 = v9["sel"];
    let v34 = (() => {
      let v35;
      if (v33 !== undefined) {
        if (typeof v33 !== "string") return INVALID;
        const v36 = typeof v33 === "string" && v33.length >= 1 && v33.length < 2 ? c0(v33) : v33.length;
        if (v36 < 1) return INVALID;
        const v37 = typeof v33 === "string" && v33.length > 256 ? c0(v33) : v33.length;
        if (v37 > 256) return INVALID;
        v35 = v33;
      }
      return v35;
    })();
    if (v34 === INVALID) {
      if ("sel" in v9) return INVALID;
      v34 = undefined;
    }
    const v38 = v9["ex"];
    let v39 = (() => {
      let v40;
      if (v38 !== undefined) {
        if (typeof v38 !== "number" || !Number.isFinite(v38)) return INVALID;
        if (v38 < 0) return INVALID;
        if (v38 > 1) return INVALID;
        v40 = v38;
      }
      return v40;
    })();
    if (v39 === INVALID) {
      if ("ex" in v9) return INVALID;
      v39 = undefined;
    }
    const v41 = v9["ey"];
    let v42 = (() => {
      let v43;
      if (v41 !== undefined) {
        if (typeof v41 !== "number" || !Number.isFinite(v41)) return INVALID;
        if (v41 < 0) return INVALID;
        if (v41 > 1) return INVALID;
        v43 = v41;
      }
      return v43;
    })();
    if (v42 === INVALID) {
      if ("ey" in v9) return INVALID;
      v42 = undefined;
    }
    const v44 = v9["x"];
    if (typeof v44 !== "number" || !Number.isFinite(v44)) return INVALID;
    if (!Number.isSafeInteger(v44)) return INVALID;
    if (v44 < 0) return INVALID;
    if (v44 > 1000000) return INVALID;
    const v45 = v9["y"];
    if (typeof v45 !== "number" || !Number.isFinite(v45)) return INVALID;
    if (!Number.isSafeInteger(v45)) return INVALID;
    if (v45 < 0) return INVALID;
    if (v45 > 1000000) return INVALID;
    const v46 = v9["vw"];
    if (typeof v46 !== "number" || !Number.isFinite(v46)) return INVALID;
    if (!Number.isSafeInteger(v46)) return INVALID;
    if (v46 < 1) return INVALID;
    if (v46 > 10000) return INVALID;
    const v47 = v9["rage"];
    let v48 = (() => {
      let v49;
      if (v47 !== undefined) {
        if (v47 !== true) return INVALID;
        v49 = v47;
      }
      return v49;
    })();
    if (v48 === INVALID) {
      if ("rage" in v9) return INVALID;
      v48 = undefined;
    }
    const v50 = {};
    v50["type"] = v27;
    v50["id"] = v28;
    v50["ts"] = v29;
    v50["url"] = v30;
    if ("sel" in v9) v50["sel"] = v34;
    if ("ex" in v9) v50["ex"] = v39;
    if ("ey" in v9) v50["ey"] = v42;
    v50["x"] = v44;
    v50["y"] = v45;
    v50["vw"] = v46;
    if ("rage" in v9) v50["rage"] = v48;
    v11 = v50;
  }
  else if (v10 === "deadclick") {
    if (typeof v9 !== "object" || v9 === null || Array.isArray(v9)) return INVALID;
    const v51 = v9["type"];
    if (v51 !== "deadclick") return INVALID;
    const v52 = v9["id"];
    if (typeof v52 !== "string") return INVALID;
    c2.lastIndex = 0;
    if (!c2.test(v52)) return INVALID;
    const v53 = v9["ts"];
    if (typeof v53 !== "number" || !Number.isFinite(v53)) return INVALID;
    if (!Number.isSafeInteger(v53)) return INVALID;
    if (v53 < 0) return INVALID;
    const v54 = v9["url"];
    if (typeof v54 !== "string") return INVALID;
    const v55 = typeof v54 === "string" && v54.length >= 1 && v54.length < 2 ? c0(v54) : v54.length;
    if (v55 < 1) return INVALID;
    const v56 = typeof v54 === "string" && v54.length > 2048 ? c0(v54) : v54.length;
    if (v56 > 2048) return INVALID;
    const v57 = v9["sel"];
    let v58 = (() => {
      let v59;
      if (v57 !== undefined) {
        if (typeof v57 !== "string") return INVALID;
        const v60 = typeof v57 === "string" && v57.length >= 1 && v57.length < 2 ? c0(v57) : v57.length;
        if (v60 < 1) return INVALID;
        const v61 = typeof v57 === "string" && v57.length > 256 ? c0(v57) : v57.length;
        if (v61 > 256) return INVALID;
        v59 = v57;
      }
      return v59;
    })();
    if (v58 === INVALID) {
      if ("sel" in v9) return INVALID;
      v58 = undefined;
    }
    const v62 = v9["ex"];
    let v63 = (() => {
      let v64;
      if (v62 !== undefined) {
        if (typeof v62 !== "number" || !Number.isFinite(v62)) return INVALID;
        if (v62 < 0) return INVALID;
        if (v62 > 1) return INVALID;
        v64 = v62;
      }
      return v64;
    })();
    if (v63 === INVALID) {
      if ("ex" in v9) return INVALID;
      v63 = undefined;
    }
    const v65 = v9["ey"];
    let v66 = (() => {
      let v67;
      if (v65 !== undefined) {
        if (typeof v65 !== "number" || !Number.isFinite(v65)) return INVALID;
        if (v65 < 0) return INVALID;
        if (v65 > 1) return INVALID;
        v67 = v65;
      }
      return v67;
    })();
    if (v66 === INVALID) {
      if ("ey" in v9) return INVALID;
      v66 = undefined;
    }
    const v68 = v9["x"];
    if (typeof v68 !== "number" || !Number.isFinite(v68)) return INVALID;
    if (!Number.isSafeInteger(v68)) return INVALID;
    if (v68 < 0) return INVALID;
    if (v68 > 1000000) return INVALID;
    const v69 = v9["y"];
    if (typeof v69 !== "number" || !Number.isFinite(v69)) return INVALID;
    if (!Number.isSafeInteger(v69)) return INVALID;
    if (v69 < 0) return INVALID;
    if (v69 > 1000000) return INVALID;
    const v70 = v9["vw"];
    if (typeof v70 !== "number" || !Number.isFinite(v70)) return INVALID;
    if (!Number.isSafeInteger(v70)) return INVALID;
    if (v70 < 1) return INVALID;
    if (v70 > 10000) return INVALID;
    const v71 = {};
    v71["type"] = v51;
    v71["id"] = v52;
    v71["ts"] = v53;
    v71["url"] = v54;
    if ("sel" in v9) v71["sel"] = v58;
    if ("ex" in v9) v71["ex"] = v63;
    if ("ey" in v9) v71["ey"] = v66;
    v71["x"] = v68;
    v71["y"] = v69;
    v71["vw"] = v70;
    v11 = v71;
  }
  else if (v10 === "scroll") {
    if (typeof v9 !== "object" || v9 === null || Array.isArray(v9)) return INVALID;
    const v72 = v9["type"];
    if (v72 !== "scroll") return INVALID;
    const v73 = v9["id"];
    if (typeof v73 !== "string") return INVALID;
    c2.lastIndex = 0;
    if (!c2.test(v73)) return INVALID;
    const v74 = v9["ts"];
    if (typeof v74 !== "number" || !Number.isFinite(v74)) return INVALID;
    if (!Number.isSafeInteger(v74)) return INVALID;
    if (v74 < 0) return INVALID;
    const v75 = v9["url"];
    if (typeof v75 !== "string") return INVALID;
    const v76 = typeof v75 === "string" && v75.length >= 1 && v75.length < 2 ? c0(v75) : v75.length;
    if (v76 < 1) return INVALID;
    const v77 = typeof v75 === "string" && v75.length > 2048 ? c0(v75) : v75.length;
    if (v77 > 2048) return INVALID;
    const v78 = v9["depth"];
    if (typeof v78 !== "number" || !Number.isFinite(v78)) return INVALID;
    if (v78 < 0) return INVALID;
    if (v78 > 1) return INVALID;
    const v79 = v9["vw"];
    if (typeof v79 !== "number" || !Number.isFinite(v79)) return INVALID;
    if (!Number.isSafeInteger(v79)) return INVALID;
    if (v79 < 1) return INVALID;
    if (v79 > 10000) return INVALID;
    const v80 = { "type": v72, "id": v73, "ts": v74, "url": v75, "depth": v78, "vw": v79 };
    v11 = v80;
  }
  else if (v10 === "move") {
    if (typeof v9 !== "object" || v9 === null || Array.isArray(v9)) return INVALID;
    const v81 = v9["type"];
    if (v81 !== "move") return INVALID;
    const v82 = v9["id"];
    if (typeof v82 !== "string") return INVALID;
    c2.lastIndex = 0;
    if (!c2.test(v82)) return INVALID;
    const v83 = v9["ts"];
    if (typeof v83 !== "number" || !Number.isFinite(v83)) return INVALID;
    if (!Number.isSafeInteger(v83)) return INVALID;
    if (v83 < 0) return INVALID;
    const v84 = v9["url"];
    if (typeof v84 !== "string") return INVALID;
    const v85 = typeof v84 === "string" && v84.length >= 1 && v84.length < 2 ? c0(v84) : v84.length;
    if (v85 < 1) return INVALID;
    const v86 = typeof v84 === "string" && v84.length > 2048 ? c0(v84) : v84.length;
    if (v86 > 2048) return INVALID;
    const v87 = v9["vw"];
    if (typeof v87 !== "number" || !Number.isFinite(v87)) return INVALID;
    if (!Number.isSafeInteger(v87)) return INVALID;
    if (v87 < 1) return INVALID;
    if (v87 > 10000) return INVALID;
    const v88 = v9["pts"];
    if (!Array.isArray(v88)) return INVALID;
    if (v88.length > 20) return INVALID;
    const v89 = new Array(v88.length);
    for (let v90 = 0; v90 < v88.length; v90++) {
      const v91 = v88[v90];
      if (!Array.isArray(v91)) return INVALID;
      if (v91.length < 2 || v91.length > 2) return INVALID;
      const v92 = [];
      const v93 = v91[0];
      if (typeof v93 !== "number" || !Number.isFinite(v93)) return INVALID;
      if (!Number.isSafeInteger(v93)) return INVALID;
      if (v93 < 0) return INVALID;
      if (v93 > 1000000) return INVALID;
      v92[0] = v93;
      const v94 = v91[1];
      if (typeof v94 !== "number" || !Number.isFinite(v94)) return INVALID;
      if (!Number.isSafeInteger(v94)) return INVALID;
      if (v94 < 0) return INVALID;
      if (v94 > 1000000) return INVALID;
      v92[1] = v94;
      v89[v90] = v92;
    }
    const v95 = typeof v89 === "string" && v89.length >= 1 && v89.length < 2 ? c0(v89) : v89.length;
    if (v95 < 1) return INVALID;
    const v96 = typeof v89 === "string" && v89.length > 20 ? c0(v89) : v89.length;
    if (v96 > 20) return INVALID;
    const v97 = { "type": v81, "id": v82, "ts": v83, "url": v84, "vw": v87, "pts": v89 };
    v11 = v97;
  }
  else { return INVALID; }
  v7[v8] = v11;
}
const v98 = typeof v7 === "string" && v7.length >= 1 && v7.length < 2 ? c0(v7) : v7.length;
if (v98 < 1) return INVALID;
const v99 = typeof v7 === "string" && v7.length > 100 ? c0(v7) : v7.length;
if (v99 > 100) return INVALID;
const v100 = input["flags"];
let v101 = (() => {
  let v102;
  if (v100 !== undefined) {
    if (!Array.isArray(v100)) return INVALID;
    if (v100.length > 200) return INVALID;
    const v103 = new Array(v100.length);
    for (let v104 = 0; v104 < v100.length; v104++) {
      const v105 = v100[v104];
      if (typeof v105 !== "string") return INVALID;
      c3.lastIndex = 0;
      if (!c3.test(v105)) return INVALID;
      v103[v104] = v105;
    }
    const v106 = typeof v103 === "string" && v103.length > 200 ? c0(v103) : v103.length;
    if (v106 > 200) return INVALID;
    v102 = v103;
  }
  return v102;
})();
if (v101 === INVALID) {
  if ("flags" in input) return INVALID;
  v101 = undefined;
}
const v107 = {};
v107["v"] = v0;
v107["siteKey"] = v1;
v107["sessionId"] = v4;
v107["sentAt"] = v5;
v107["events"] = v7;
if ("flags" in input) v107["flags"] = v101;
return v107;
}
})();

/** zod's compiled parser for `ingestMessage`. */
export const parseIngestMessage = (() => {
  const INVALID = Symbol.for("zod.compile.invalid");
  const c0 = util.codePointLength;
  const c1 = new RegExp("^([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-8][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}|00000000-0000-0000-0000-000000000000|ffffffff-ffff-ffff-ffff-ffffffffffff)$", "");
  const c2 = new Set(["desktop","mobile","tablet","bot","unknown"]);
  const c3 = new RegExp("^([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-8][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}|00000000-0000-0000-0000-000000000000|ffffffff-ffff-ffff-ffff-ffffffffffff)$", "");
  const c4 = new RegExp("^([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-8][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}|00000000-0000-0000-0000-000000000000|ffffffff-ffff-ffff-ffff-ffffffffffff)$", "");
  const c5 = new Set(["mobile","tablet","desktop"]);
  const c6 = new Set(["click","dead","move","scroll"]);
  const c7 = new RegExp("^[a-z0-9][a-z0-9._-]{0,63}=[a-z0-9][a-z0-9._-]{0,31}$", "");
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
const v52 = typeof v24 === "string" && v24.length > 100 ? c0(v24) : v24.length;
if (v52 > 100) return INVALID;
const v53 = input["heat"];
let v54 = (() => {
  let v55;
  if (v53 !== undefined) {
    if (!Array.isArray(v53)) return INVALID;
    if (v53.length > 100) return INVALID;
    const v56 = new Array(v53.length);
    for (let v57 = 0; v57 < v53.length; v57++) {
      const v58 = v53[v57];
      if (typeof v58 !== "object" || v58 === null || Array.isArray(v58)) return INVALID;
      const v59 = v58["id"];
      if (typeof v59 !== "string") return INVALID;
      c4.lastIndex = 0;
      if (!c4.test(v59)) return INVALID;
      const v60 = v58["ts"];
      if (typeof v60 !== "number" || !Number.isFinite(v60)) return INVALID;
      if (!Number.isSafeInteger(v60)) return INVALID;
      if (v60 < 0) return INVALID;
      const v61 = v58["path"];
      if (typeof v61 !== "string") return INVALID;
      const v62 = typeof v61 === "string" && v61.length > 2048 ? c0(v61) : v61.length;
      if (v62 > 2048) return INVALID;
      const v63 = v58["device"];
      if (!c5.has(v63)) return INVALID;
      const v64 = v58["k"];
      if (!c6.has(v64)) return INVALID;
      const v65 = v58["rage"];
      let v66 = (() => {
        let v67;
        if (v65 !== undefined) {
          if (v65 !== true) return INVALID;
          v67 = v65;
        }
        return v67;
      })();
      if (v66 === INVALID) {
        if ("rage" in v58) return INVALID;
        v66 = undefined;
      }
      const v68 = v58["sel"];
      let v69 = (() => {
        let v70;
        if (v68 !== undefined) {
          if (typeof v68 !== "string") return INVALID;
          const v71 = typeof v68 === "string" && v68.length >= 1 && v68.length < 2 ? c0(v68) : v68.length;
          if (v71 < 1) return INVALID;
          const v72 = typeof v68 === "string" && v68.length > 256 ? c0(v68) : v68.length;
          if (v72 > 256) return INVALID;
          v70 = v68;
        }
        return v70;
      })();
      if (v69 === INVALID) {
        if ("sel" in v58) return INVALID;
        v69 = undefined;
      }
      const v73 = v58["cells"];
      if (!Array.isArray(v73)) return INVALID;
      if (v73.length > 20) return INVALID;
      const v74 = new Array(v73.length);
      for (let v75 = 0; v75 < v73.length; v75++) {
        const v76 = v73[v75];
        if (typeof v76 !== "number" || !Number.isFinite(v76)) return INVALID;
        if (!Number.isSafeInteger(v76)) return INVALID;
        if (v76 < 0) return INVALID;
        if (v76 > 65535) return INVALID;
        v74[v75] = v76;
      }
      const v77 = typeof v74 === "string" && v74.length >= 1 && v74.length < 2 ? c0(v74) : v74.length;
      if (v77 < 1) return INVALID;
      const v78 = typeof v74 === "string" && v74.length > 20 ? c0(v74) : v74.length;
      if (v78 > 20) return INVALID;
      const v79 = {};
      v79["id"] = v59;
      v79["ts"] = v60;
      v79["path"] = v61;
      v79["device"] = v63;
      v79["k"] = v64;
      if ("rage" in v58) v79["rage"] = v66;
      if ("sel" in v58) v79["sel"] = v69;
      v79["cells"] = v74;
      v56[v57] = v79;
    }
    const v80 = typeof v56 === "string" && v56.length > 100 ? c0(v56) : v56.length;
    if (v80 > 100) return INVALID;
    v55 = v56;
  }
  return v55;
})();
if (v54 === INVALID) {
  if ("heat" in input) return INVALID;
  v54 = undefined;
}
const v81 = input["flags"];
let v82 = (() => {
  let v83;
  if (v81 !== undefined) {
    if (!Array.isArray(v81)) return INVALID;
    if (v81.length > 200) return INVALID;
    const v84 = new Array(v81.length);
    for (let v85 = 0; v85 < v81.length; v85++) {
      const v86 = v81[v85];
      if (typeof v86 !== "string") return INVALID;
      c7.lastIndex = 0;
      if (!c7.test(v86)) return INVALID;
      v84[v85] = v86;
    }
    const v87 = typeof v84 === "string" && v84.length > 200 ? c0(v84) : v84.length;
    if (v87 > 200) return INVALID;
    v83 = v84;
  }
  return v83;
})();
if (v82 === INVALID) {
  if ("flags" in input) return INVALID;
  v82 = undefined;
}
const v88 = input["heatFlags"];
let v89 = (() => {
  let v90;
  if (v88 !== undefined) {
    if (!Array.isArray(v88)) return INVALID;
    if (v88.length > 3) return INVALID;
    const v91 = new Array(v88.length);
    for (let v92 = 0; v92 < v88.length; v92++) {
      const v93 = v88[v92];
      if (typeof v93 !== "string") return INVALID;
      c7.lastIndex = 0;
      if (!c7.test(v93)) return INVALID;
      v91[v92] = v93;
    }
    const v94 = typeof v91 === "string" && v91.length > 3 ? c0(v91) : v91.length;
    if (v94 > 3) return INVALID;
    v90 = v91;
  }
  return v90;
})();
if (v89 === INVALID) {
  if ("heatFlags" in input) return INVALID;
  v89 = undefined;
}
const v95 = {};
v95["v"] = v0;
v95["siteId"] = v1;
v95["shards"] = v4;
v95["sessionId"] = v5;
v95["receivedAt"] = v6;
if ("country" in input) v95["country"] = v8;
if ("device" in input) v95["device"] = v13;
if ("visitor" in input) v95["visitor"] = v16;
if ("quota" in input) v95["quota"] = v21;
v95["events"] = v24;
if ("heat" in input) v95["heat"] = v54;
if ("flags" in input) v95["flags"] = v82;
if ("heatFlags" in input) v95["heatFlags"] = v89;
return v95;
}
})();
