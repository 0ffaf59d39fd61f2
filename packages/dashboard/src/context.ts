/** What every view is handed by the shell. */
import type { Account, Api } from "./api/index.ts";

export interface ViewContext {
  api: Api;
  /** The signed-in account; views behind the login always have one. */
  account: Account;
  /** Aborted when the user leaves the view: pending fetches and timers stop with it. */
  signal: AbortSignal;
  navigate(path: string, opts?: { replace?: boolean }): void;
  /** Shown once on the next view ("Site deleted."). */
  flash(text: string): void;
  takeFlash(): string | null;
  setTitle(title: string): void;
  /** The account check after a successful login or setup. */
  signedIn(account: Account): void;
}

export type PublicContext = Omit<ViewContext, "account">;

/** Which item of the product navigation is current. */
export type Section = "sites" | "overview" | "recordings" | "heatmaps" | "flags" | "settings" | "pipeline";
