/**
 * The application shell: who is signed in, which view the URL names, the frame around it
 * (top bar and product navigation) and moving between views without a page load.
 */
import { type Account, type Api, ApiError, createApi, isAbort } from "./api/index.ts";
import type { PublicContext, Section, ViewContext } from "./context.ts";
import { h } from "./lib/dom.ts";
import { errorMessage } from "./lib/errors.ts";
import { matchRoute, paths, type Route } from "./lib/router.ts";
import { renderHeatmaps } from "./views/heatmaps.ts";
import { renderLogin } from "./views/login.ts";
import { renderMaintenancePage } from "./views/maintenance.ts";
import { renderNotFound } from "./views/not-found.ts";
import { renderOverview } from "./views/overview.ts";
import { renderPipeline } from "./views/pipeline.ts";
import { renderRecording } from "./views/recording.ts";
import { renderRecordings } from "./views/recordings.ts";
import { renderSettings } from "./views/settings.ts";
import { renderSetup } from "./views/setup.ts";
import { renderSites } from "./views/sites.ts";

export class App {
  private readonly root: HTMLElement;
  private readonly api: Api;
  /** undefined: not asked yet; null: signed out. */
  private account: Account | null | undefined;
  private controller: AbortController | null = null;
  private flashText: string | null = null;
  private firstRender = true;
  private redirectingToLogin = false;
  private maintenanceShown = false;

  constructor(root: HTMLElement) {
    this.root = root;
    this.api = createApi({
      onUnauthenticated: () => this.lostSession(),
      onMaintenance: () => void this.maintenanceHit(),
    });
  }

  start(): void {
    document.addEventListener("click", (e) => this.onClick(e));
    window.addEventListener("popstate", () => void this.render());
    void this.render();
  }

  navigate(path: string, opts: { replace?: boolean } = {}): void {
    const here = location.pathname + location.search;
    if (path !== here) {
      if (opts.replace) history.replaceState(null, "", path);
      else history.pushState(null, "", path);
    }
    void this.render();
  }

  /**
   * A 503 MAINTENANCE: the maintenance page replaces the view, for the whole API or for the
   * site the page is about.
   */
  private async maintenanceHit(): Promise<void> {
    if (this.maintenanceShown) return;
    this.maintenanceShown = true;
    try {
      let { data } = await this.api.maintenance();
      // Not everywhere: the site of this page, when it is one of the signed-in account's.
      const route = matchRoute(location.pathname, location.search);
      const siteId = !data.on && this.account && "siteId" in route ? route.siteId : undefined;
      if (siteId) data = (await this.api.siteMaintenance(siteId)).data;
      if (!data.on) return;
      this.controller?.abort();
      const main = this.publicFrame();
      document.title = "Maintenance · Sightline";
      renderMaintenancePage(main, data, {
        api: this.api,
        signedIn: !!this.account,
        done: () => void this.render(),
        siteId,
      });
    } catch {
      // The switch cannot be read: the view's own error stays on screen.
    } finally {
      this.maintenanceShown = false;
    }
  }

  private lostSession(): void {
    this.account = null;
    if (this.redirectingToLogin) return;
    this.redirectingToLogin = true;
    this.flashText = "Your session ended. Log in again to continue.";
    this.navigate(paths.login(location.pathname + location.search), { replace: true });
  }

  /** Same-origin links move within the app; anything else behaves as a browser would. */
  private onClick(e: MouseEvent): void {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    const a = e.target instanceof Element ? e.target.closest("a") : null;
    if (!a || a.target || a.hasAttribute("download")) return;
    const href = a.getAttribute("href") ?? "";
    if (href.startsWith("#")) {
      // In-page links (the skip link) move focus without touching the URL, which the router owns.
      const target = document.getElementById(href.slice(1));
      if (target) {
        e.preventDefault();
        target.focus();
      }
      return;
    }
    const url = new URL(a.href, location.href);
    if (url.origin !== location.origin || url.pathname.startsWith("/v1/")) return;
    e.preventDefault();
    this.navigate(url.pathname + url.search);
  }

  private async render(): Promise<void> {
    this.controller?.abort();
    const controller = new AbortController();
    this.controller = controller;
    const signal = controller.signal;
    const route = matchRoute(location.pathname, location.search);
    const base: PublicContext = {
      api: this.api,
      signal,
      navigate: (p, o) => this.navigate(p, o),
      flash: (t) => {
        this.flashText = t;
      },
      takeFlash: () => {
        const t = this.flashText;
        this.flashText = null;
        return t;
      },
      setTitle: (t) => {
        document.title = `${t} · Sightline`;
      },
      signedIn: (account) => {
        this.account = account;
        this.redirectingToLogin = false;
      },
    };

    try {
      // Awaited inside the try, so a view interrupted by the next navigation rejects here.
      if (route.name === "setup") return await this.show(renderSetup(base, this.publicFrame()));
      if (route.name === "login") {
        if (this.account === undefined) await this.whoAmI(signal);
        if (this.account) return this.navigate(route.next ?? paths.sites(), { replace: true });
        // Nobody can log in before the owner exists: the setup page says what to do.
        if ((await this.api.setupNeeded({ signal })).data.needed) return this.navigate("/setup", { replace: true });
        return await this.show(renderLogin(base, this.publicFrame(), route.next));
      }

      if (this.account === undefined) await this.whoAmI(signal);
      const account = this.account;
      if (!account) {
        const { data } = await this.api.setupNeeded({ signal });
        if (data.needed) return this.navigate("/setup", { replace: true });
        const next = route.name === "home" || route.name === "sites" ? null : location.pathname + location.search;
        return this.navigate(paths.login(next), { replace: true });
      }
      this.redirectingToLogin = false;
      const ctx: ViewContext = { ...base, account };
      await this.show(this.view(route, ctx));
    } catch (err) {
      if (isAbort(err) || signal.aborted) return;
      this.fatal(err);
    }
  }

  private view(route: Route, ctx: ViewContext): Promise<void> | undefined {
    switch (route.name) {
      case "home":
        this.navigate(paths.sites(), { replace: true });
        return undefined;
      case "sites":
        return renderSites(ctx, this.frame(ctx, "sites"));
      case "overview":
        return renderOverview(ctx, this.frame(ctx, "overview", route.siteId), route.siteId, route.range);
      case "settings":
        return renderSettings(ctx, this.frame(ctx, "settings", route.siteId), route.siteId);
      case "heatmaps":
        return renderHeatmaps(ctx, this.frame(ctx, "heatmaps", route.siteId), route.siteId, route.search);
      case "flags":
      case "flag": {
        // The Flags pages carry zod (the shared flagSchema): a chunk of their own, loaded here.
        const main = this.frame(ctx, "flags", route.siteId);
        return import("./views/flags.ts").then((m) =>
          route.name === "flags"
            ? m.renderFlags(ctx, main, route.siteId)
            : m.renderFlagEditor(ctx, main, route.siteId, route.key),
        );
      }
      case "recordings":
        return renderRecordings(ctx, this.frame(ctx, "recordings", route.siteId), route.siteId, route.search);
      case "recording":
        return renderRecording(ctx, this.frame(ctx, "recordings", route.siteId), route.siteId, route.recordingId);
      case "pipeline":
        return renderPipeline(ctx, this.frame(ctx, "pipeline"));
      default:
        return renderNotFound(ctx, this.frame(ctx, "sites"));
    }
  }

  private async show(rendering: Promise<void> | undefined): Promise<void> {
    const first = this.firstRender;
    this.firstRender = false;
    await rendering;
    // After a navigation, move focus to the new view's heading, as a page load would.
    if (!first) this.root.querySelector<HTMLElement>("h1")?.focus({ preventScroll: false });
  }

  private async whoAmI(signal: AbortSignal): Promise<void> {
    try {
      const { data } = await this.api.me({ signal });
      this.account = data.account;
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) this.account = null;
      else throw err;
    }
  }

  /** The centred card used by setup and login. */
  private publicFrame(): HTMLElement {
    const main = h("main", { id: "main", class: "public-main" });
    this.root.replaceChildren(
      h(
        "div",
        { class: "public" },
        h("p", { class: "brand brand-public" }, h("span", { class: "brand-mark", "aria-hidden": "true" }), "Sightline"),
        main,
      ),
    );
    return main;
  }

  /** Top bar, product navigation and the main region a signed-in view renders into. */
  private frame(ctx: ViewContext, section: Section, siteId?: string): HTMLElement {
    const main = h("main", { id: "main", class: "content", tabindex: "-1" });
    const logout = h("button", { type: "button", class: "button button-quiet", id: "logout" }, "Log out");
    logout.addEventListener("click", async () => {
      logout.disabled = true;
      try {
        await this.api.logout();
      } catch {
        // Signed out locally either way; the cookie expires on its own.
      }
      this.account = null;
      this.flashText = "You are logged out.";
      this.navigate(paths.login(), { replace: true });
    });

    const link = (href: string, label: string, current: boolean) =>
      h("a", { href, class: "nav-link", "aria-current": current ? "page" : null }, label);

    const siteItems = siteId
      ? [
          h("li", {}, link(paths.overview(siteId), "Overview", section === "overview")),
          h("li", {}, link(paths.recordings(siteId), "Recordings", section === "recordings")),
          h("li", {}, link(paths.heatmaps(siteId), "Heatmaps", section === "heatmaps")),
          h("li", {}, link(paths.flags(siteId), "Flags", section === "flags")),
          h("li", {}, link(paths.settings(siteId), "Settings", section === "settings")),
        ]
      : [];
    const nav = h(
      "nav",
      { class: "sidenav", "aria-label": "Product" },
      h(
        "ul",
        {},
        h("li", {}, link(paths.sites(), "Sites", section === "sites")),
        siteItems.length > 0
          ? h("li", { class: "nav-group" }, h("ul", { "aria-label": "This site" }, siteItems))
          : null,
        h("li", {}, link(paths.pipeline(), "Pipeline", section === "pipeline")),
      ),
    );

    this.root.replaceChildren(
      h("a", { href: "#main", class: "skip-link" }, "Skip to content"),
      h(
        "header",
        { class: "topbar" },
        h(
          "a",
          { href: paths.sites(), class: "brand" },
          h("span", { class: "brand-mark", "aria-hidden": "true" }),
          "Sightline",
        ),
        h("span", { class: "topbar-account", title: ctx.account.email }, ctx.account.email),
        logout,
      ),
      h("div", { class: "shell" }, nav, main),
    );
    return main;
  }

  private fatal(err: unknown): void {
    const message = errorMessage(err);
    const main = this.publicFrame();
    main.append(
      h(
        "section",
        { class: "card" },
        h("h1", { tabindex: "-1" }, "Sightline could not load"),
        h("div", { class: "message message-error", role: "alert" }, h("p", {}, message)),
        h("button", { type: "button", class: "button", onclick: () => location.reload() }, "Reload"),
      ),
    );
  }
}
