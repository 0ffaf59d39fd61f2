/** Opt-out signals. Global Privacy Control always wins; Do-Not-Track only when the site asks. */
export interface PrivacySignals {
  navigator: { globalPrivacyControl?: boolean; doNotTrack?: string | null };
  doNotTrack?: string | null;
}

export function optedOut(w: PrivacySignals, respectDnt: boolean): boolean {
  const n = w.navigator;
  return n.globalPrivacyControl === true || (respectDnt && (n.doNotTrack === "1" || w.doNotTrack === "1"));
}
