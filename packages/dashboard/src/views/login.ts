/** Login with email and password; the session lives in an HttpOnly cookie the UI never sees. */
import type { PublicContext } from "../context.ts";
import { busy, field, h, messageBox } from "../lib/dom.ts";
import { errorDetail, errorMessage } from "../lib/errors.ts";
import { paths } from "../lib/router.ts";

export async function renderLogin(ctx: PublicContext, main: HTMLElement, next: string | null): Promise<void> {
  ctx.setTitle("Log in");
  const email = h("input", { type: "email", name: "email", autocomplete: "username", required: true });
  const password = h("input", { type: "password", name: "password", autocomplete: "current-password", required: true });
  const submit = h("button", { type: "submit", class: "button button-primary" }, "Log in");
  const error = messageBox("error");
  const notice = messageBox("info");
  const flash = ctx.takeFlash();
  if (flash) notice.show(flash);
  const form = h(
    "form",
    { class: "form" },
    error.el,
    field("login-email", "Email", email),
    field("login-password", "Password", password),
    h("div", { class: "actions" }, submit),
  );
  main.append(h("section", { class: "card card-narrow" }, h("h1", { tabindex: "-1" }, "Log in"), notice.el, form));
  email.focus();

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    error.hide();
    notice.hide();
    try {
      const { data } = await busy(submit, "Logging in…", () =>
        ctx.api.login({ email: email.value.trim(), password: password.value }),
      );
      ctx.signedIn(data.account);
      ctx.navigate(next ?? paths.sites(), { replace: true });
    } catch (err) {
      error.show(errorMessage(err), errorDetail(err));
      password.select();
      password.focus();
    }
  });
}
