/** The maintenance switches in the SITES namespace (MaintenanceState in @sightline/shared/site). */
import { MAINTENANCE_OFF, type MaintenanceState, maintenanceKvKey, maintenanceState } from "@sightline/shared/site";

/** A switch as stored; off when never set or unreadable (a bad write must not close the API). */
export async function readMaintenance(kv: KVNamespace, siteId?: string): Promise<MaintenanceState> {
  const text = await kv.get(maintenanceKvKey(siteId));
  let json: unknown = null;
  try {
    json = text === null ? null : JSON.parse(text);
  } catch {}
  const parsed = maintenanceState.safeParse(json);
  return parsed.success ? parsed.data : MAINTENANCE_OFF;
}

export async function writeMaintenance(kv: KVNamespace, state: MaintenanceState, siteId?: string): Promise<void> {
  const key = maintenanceKvKey(siteId);
  // Off is the absence of the key: nothing is left behind for a site that is then deleted.
  if (state.on || !siteId) await kv.put(key, JSON.stringify(maintenanceState.parse(state)));
  else await kv.delete(key);
}
