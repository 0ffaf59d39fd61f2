/**
 * Entry of the recorder chunk `recorder.<hash>.js`, loaded by the core only for a sampled
 * session (src/record.ts): hands its start function to the core through `window.__slr`; the
 * start asks the edge for the session's grant and records once it has one.
 */
import { record } from "@rrweb/record";
import type { RecordHost } from "../record.ts";
import { whenGranted } from "./grant.ts";
import { type Record, type RecorderHost, startRecorder } from "./start.ts";

const w = window as unknown as RecorderHost & Pick<RecordHost, "__slr">;
w.__slr?.((cfg, sid) => whenGranted(w, cfg, sid, (grant) => startRecorder(w, cfg, sid, grant, record as Record)));
