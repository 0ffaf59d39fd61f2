/** Enum tuples of a site's settings, shared by the Postgres columns, the edge record and the API. */

/**
 * When a sampled session may record: "opt-out" until the site calls `sightline('consent', false)`,
 * "opt-in" only once it called `sightline('consent', true)`. Either way the choice is kept in the
 * browser (localStorage `sl_c`); the edge grants alike.
 */
export const RECORDING_CONSENT = ["opt-out", "opt-in"] as const;
export type RecordingConsent = (typeof RECORDING_CONSENT)[number];
