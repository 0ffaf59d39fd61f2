import { Hono } from "hono";
import type { HonoEnv } from "../env.ts";

/**
 * A self-contained reference page over /openapi.json: no third-party script, so it works
 * offline and under a strict CSP. Generators take the JSON document itself.
 */
const PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Sightline API</title><style>body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1b1f24}
code,pre{font:13px ui-monospace,monospace;background:#f3f4f6;padding:.1rem .3rem;border-radius:4px}h2{margin-top:2rem}
.op{border:1px solid #e5e7eb;border-radius:8px;padding:.75rem 1rem;margin:.5rem 0}.m{font-weight:700;text-transform:uppercase;margin-right:.5rem}</style></head>
<body><h1>Sightline API</h1><p>The machine-readable document is <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1).</p><div id="ops">Loading…</div>
<script>
fetch("/openapi.json").then(r=>r.json()).then(doc=>{const el=document.getElementById("ops");el.textContent="";
const p=document.createElement("p");p.textContent=doc.info.description||"";el.append(p);
for(const [path,item] of Object.entries(doc.paths)){for(const [method,op] of Object.entries(item)){
const d=document.createElement("div");d.className="op";const h=document.createElement("div");
const m=document.createElement("span");m.className="m";m.textContent=method;const c=document.createElement("code");c.textContent=path;
h.append(m,c);const s=document.createElement("div");s.textContent=op.summary||"";
const r=document.createElement("div");r.textContent="Responses: "+Object.keys(op.responses||{}).join(", ");d.append(h,s,r);el.append(d);}}})
.catch(()=>{document.getElementById("ops").textContent="Could not load /openapi.json."});
</script></body></html>`;

export const docs = new Hono<HonoEnv>();
docs.get("/docs", (c) => c.html(PAGE));
