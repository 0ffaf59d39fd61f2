/** First run: the owner account, authorised by the setup token from the link `pnpm start` printed. */
import { ApiError } from "../api/index.ts";
import type { PublicContext } from "../context.ts";
import { busy, field, h, messageBox } from "../lib/dom.ts";
import { errorDetail, errorMessage } from "../lib/errors.ts";
import { paths, tokenFromHash } from "../lib/router.ts";

export const MIN_PASSWORD = 12;

export async function renderSetup(ctx: PublicContext, main: HTMLElement): Promise<void> {
  ctx.setTitle("Set up");
  // Read the token once and take it out of the address bar and the history entry.
  const fromLink = tokenFromHash(location.hash);
  if (fromLink) history.replaceState(history.state, "", location.pathname + location.search);

  const card = h(
    "section",
    { class: "card card-narrow", "aria-busy": "true" },
    h("h1", { tabindex: "-1" }, "Set up Sightline"),
  );
  main.append(card);

  const status = await ctx.api.setupNeeded({ signal: ctx.signal });
  card.removeAttribute("aria-busy");
  if (!status.data.needed) {
    card.append(
      h("p", {}, "Sightline already has an owner account."),
      h("p", {}, h("a", { href: paths.login(), class: "button" }, "Go to login")),
    );
    return;
  }

  const email = h("input", { type: "email", name: "email", autocomplete: "username", required: true });
  const password = h("input", {
    type: "password",
    name: "password",
    autocomplete: "new-password",
    minlength: MIN_PASSWORD,
    required: true,
  });
  const token = h("input", {
    type: "password",
    name: "setupToken",
    autocomplete: "off",
    spellcheck: "false",
    required: true,
  });
  token.value = fromLink ?? "";
  const submit = h("button", { type: "submit", class: "button button-primary" }, "Create owner account");
  const error = messageBox("error");
  const form = h(
    "form",
    { class: "form" },
    error.el,
    field("setup-email", "Email", email),
    field("setup-password", "Password", password, `At least ${MIN_PASSWORD} characters.`),
    field(
      "setup-token",
      "Setup token",
      token,
      fromLink
        ? "Filled in from your setup link."
        : "Printed by `pnpm start` in the line “Create the owner account”: the part after #token=.",
    ),
    h("div", { class: "actions" }, submit),
  );
  card.append(h("p", {}, "Create the owner account. It will own every site, including the demo site."), form);
  (fromLink ? email : token).focus();

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    error.hide();
    try {
      const { data } = await busy(submit, "Creating account…", () =>
        ctx.api.setup({ setupToken: token.value.trim(), email: email.value.trim(), password: password.value }),
      );
      ctx.signedIn(data.account);
      ctx.flash(`Welcome! You are signed in as ${data.account.email}.`);
      ctx.navigate(paths.sites(), { replace: true });
    } catch (err) {
      if (err instanceof ApiError && err.code === "ALREADY_SET_UP") {
        error.show(err.message);
        form.replaceWith(h("p", {}, h("a", { href: paths.login(), class: "button" }, "Go to login")));
        return;
      }
      error.show(errorMessage(err), errorDetail(err));
    }
  });
}
