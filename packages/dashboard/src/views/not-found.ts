/** Any path the UI does not know. */
import type { ViewContext } from "../context.ts";
import { h } from "../lib/dom.ts";
import { paths } from "../lib/router.ts";

export async function renderNotFound(ctx: ViewContext, main: HTMLElement): Promise<void> {
  ctx.setTitle("Not found");
  main.append(
    h("h1", { tabindex: "-1" }, "Page not found"),
    h("p", {}, "There is nothing at this address. ", h("a", { href: paths.sites() }, "Go to your sites"), "."),
  );
}
