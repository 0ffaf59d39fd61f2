/**
 * Entry of the recorder chunk `recorder.<hash>.js`, loaded by the core only for a session
 * the edge granted (src/record.ts): hands its start function to the core through `window.__slr`.
 */
import { record } from "@rrweb/record";
import type { RecordHost } from "../record.ts";
import { type Record, type RecorderHost, startRecorder } from "./start.ts";

const w = window as unknown as RecorderHost & Pick<RecordHost, "__slr">;
w.__slr?.((cfg, sessionId, grant) => startRecorder(w, cfg, sessionId, grant, record as Record));
