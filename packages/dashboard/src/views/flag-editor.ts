/**
 * One flag: the editor (a new flag at /flags/_new, or an existing one), deleting it and its
 * history. The form is a FlagForm (lib/flags.ts) held here: typing updates it, adding or
 * removing a row redraws the sections that depend on the rows. Saving checks it with the shared
 * flagSchema first, so a flag the API would refuse is not sent.
 */
import type { Flag, FlagChange } from "../api/index.ts";
import type { ViewContext } from "../context.ts";
import { busy, field, h, messageBox } from "../lib/dom.ts";
import { errorDetail, errorMessage } from "../lib/errors.ts";
import {
  type AttributeChoice,
  CONDITION_OPS,
  type ConditionForm,
  type ConditionOp,
  DEVICES,
  type FlagForm,
  flagChanges,
  flagToForm,
  formToFlag,
  heatmapsTakenBy,
  historyChanges,
  isListOp,
  FLAG_FORM_LIMITS as L,
  MAX_HEATMAP_FLAGS,
  newCondition,
  newFlagForm,
  newRule,
  newVariant,
  percentTotal,
  type RuleForm,
  resync,
  switchKind,
  VARIANT_KINDS,
  type VariantKind,
  type VariantRow,
  type WeightRow,
} from "../lib/flags.ts";
import { formatCount, formatDateTime } from "../lib/format.ts";
import { paths } from "../lib/router.ts";

const HISTORY_PAGE = 20;
const ATTRIBUTES: [AttributeChoice, string][] = [
  ["country", "Country"],
  ["device", "Device"],
  ["path", "Path"],
  ["custom", "Custom…"],
];
const PLACEHOLDERS: Record<AttributeChoice, [string, string]> = {
  country: ["DE", "DE, AT, CH"],
  device: [DEVICES[0], DEVICES.join(", ")],
  path: ["/pricing", "/pricing, /checkout"],
  custom: ["pro", "pro, team"],
};
const fmt = (n: number) => n.toLocaleString("en");

export async function renderFlagEditor(
  ctx: ViewContext,
  main: HTMLElement,
  siteId: string,
  key: string | null,
): Promise<void> {
  ctx.setTitle(key === null ? "New flag" : `Flag ${key}`);
  const heading = h("h1", { tabindex: "-1" }, key === null ? "New flag" : key);
  const notice = messageBox("success");
  const flash = ctx.takeFlash();
  if (flash) notice.show(flash);
  const loadError = messageBox("error");
  main.append(
    h("p", { class: "crumb" }, h("a", { href: paths.flags(siteId) }, "All flags")),
    h("div", { class: "page-head" }, heading),
    notice.el,
    loadError.el,
  );

  // The site's flags, for the heatmaps box (how many split heatmaps already); without them the
  // box stays open and the API has the last word.
  const siteFlags = ctx.api
    .listFlags(siteId, { signal: ctx.signal })
    .then((r) => r.data.items)
    .catch(() => null);
  let flag: Flag | null = null;
  if (key !== null) {
    const loading = h("p", { class: "loading" }, "Loading the flag…");
    main.append(loading);
    main.setAttribute("aria-busy", "true");
    try {
      flag = (await ctx.api.getFlag(siteId, key, { signal: ctx.signal })).data;
    } catch (err) {
      if (ctx.signal.aborted) return;
      loadError.show(errorMessage(err), errorDetail(err));
      return;
    } finally {
      main.removeAttribute("aria-busy");
      loading.remove();
    }
  }
  const others = await siteFlags;
  if (ctx.signal.aborted) return;

  const editor = flagEditor(ctx, siteId, flag, notice, others);
  main.append(editor);
  if (key !== null) {
    const history = historyCard(ctx, siteId, key);
    editor.addEventListener("flag-saved", () => void history.reload());
    main.append(variantsCard(ctx, siteId, key), history.el, deleteCard(ctx, siteId, key));
    await history.reload();
  }
}

/** The form. Dispatches `flag-saved` on itself after a change is saved. */
function flagEditor(
  ctx: ViewContext,
  siteId: string,
  saved: Flag | null,
  notice: ReturnType<typeof messageBox>,
  siteFlags: Flag[] | null,
) {
  let form: FlagForm = saved ? flagToForm(saved) : newFlagForm();
  const isNew = saved === null;

  // General
  const keyInput = h("input", {
    type: "text",
    name: "key",
    required: true,
    maxlength: L.keyLength,
    autocomplete: "off",
    spellcheck: "false",
    autocapitalize: "none",
  });
  keyInput.addEventListener("input", () => {
    form.key = keyInput.value;
  });
  const description = h("textarea", { name: "description", rows: 2, maxlength: L.descriptionLength });
  description.value = form.description;
  description.addEventListener("input", () => {
    form.description = description.value;
  });
  const enabled = h("input", {
    type: "checkbox",
    name: "enabled",
    id: "flag-enabled",
    "aria-describedby": "flag-enabled-hint",
  });
  enabled.checked = form.enabled;
  enabled.addEventListener("change", () => {
    form.enabled = enabled.checked;
  });
  const heatmaps = h("input", {
    type: "checkbox",
    name: "heatmaps",
    id: "flag-heatmaps",
    "aria-describedby": "flag-heatmaps-hint",
  });
  const heatmapsHint = h("p", { class: "hint", id: "flag-heatmaps-hint" });
  heatmaps.addEventListener("change", () => {
    form.heatmaps = heatmaps.checked;
  });
  /** Closed, with the reason, while MAX_HEATMAP_FLAGS other flags split heatmaps (unless this one does). */
  function drawHeatmaps() {
    heatmaps.checked = form.heatmaps === true;
    const taken = form.heatmaps === true ? null : heatmapsTakenBy(saved?.key ?? "", siteFlags ?? []);
    heatmaps.disabled = taken !== null;
    heatmapsHint.textContent = taken
      ? `${taken.join(", ")} split heatmaps already: at most ${MAX_HEATMAP_FLAGS} flags of a site do. Turn it off on one of them first.`
      : `The Heatmaps page can then show each variant's visitors alone, counted from when this is on. At most ${MAX_HEATMAP_FLAGS} flags of a site.`;
  }

  // Variants
  const kind = h(
    "select",
    { name: "kind" },
    VARIANT_KINDS.map(([k, label]) => h("option", { value: k }, label)),
  );
  const variantRows = h("div", { class: "variant-rows", id: "flag-variants" });
  const addVariant = h("button", { type: "button", class: "button", id: "flag-add-variant" }, "Add variant");
  const defaultPick = h("select", { name: "defaultVariant" });
  const offPick = h("select", { name: "offVariant" });
  defaultPick.addEventListener("change", () => {
    form.defaultVariant = defaultPick.value;
  });
  offPick.addEventListener("change", () => {
    form.offVariant = offPick.value;
  });
  kind.addEventListener("change", () => {
    form = switchKind(form, kind.value as VariantKind);
    drawVariants();
    drawDependents();
  });
  addVariant.addEventListener("click", () => {
    const row = newVariant(form);
    form = resync({ ...form, variants: [...form.variants, row] });
    drawVariants();
    drawDependents();
    document.getElementById(rowControlId(row, "name"))?.focus();
  });

  // Rollout
  const rolloutOn = h("input", {
    type: "checkbox",
    name: "rollout",
    id: "flag-rollout-on",
    "aria-describedby": "flag-rollout-hint",
  });
  const slider = h("input", {
    type: "range",
    name: "percentage",
    id: "flag-rollout-percentage",
    min: 0,
    max: 100,
    step: 1,
  });
  const sliderValue = h("output", { for: "flag-rollout-percentage", id: "flag-rollout-value" });
  const rolloutWeights = h("div", { class: "weights-host" });
  const rolloutBody = h(
    "div",
    { class: "rollout-body", id: "flag-rollout-body" },
    h(
      "div",
      { class: "field" },
      h("label", { for: "flag-rollout-percentage" }, "Visitors in the rollout"),
      h("div", { class: "slider" }, slider, sliderValue),
      h("p", { class: "hint" }, "The rest get the default variant. Raising it adds visitors without moving any."),
    ),
    rolloutWeights,
  );
  rolloutOn.addEventListener("change", () => {
    form.rollout.on = rolloutOn.checked;
    rolloutBody.hidden = !rolloutOn.checked;
  });
  slider.addEventListener("input", () => {
    form.rollout.percentage = Number(slider.value);
    sliderValue.textContent = `${form.rollout.percentage}%`;
  });

  // Rules
  const ruleList = h("ol", { class: "rule-list", id: "flag-rules" });
  const noRules = h("p", { class: "hint" }, "No rules: every visitor gets the rollout or the default variant.");
  const addRule = h("button", { type: "button", class: "button", id: "flag-add-rule" }, "Add rule");
  addRule.addEventListener("click", () => {
    form.rules.push(newRule(form.variants));
    drawRules();
    document.getElementById(conditionId(form.rules.length - 1, 0, "attribute"))?.focus();
  });

  const formError = messageBox("error");
  const save = h("button", { type: "submit", class: "button button-primary", id: "flag-save" }, "Save flag");
  const el = h(
    "form",
    { class: "form flag-form", id: "flag-form", novalidate: true },
    h(
      "section",
      { class: "card", "aria-labelledby": "flag-general-heading" },
      h("h2", { id: "flag-general-heading" }, "Flag"),
      h(
        "div",
        { class: "form" },
        isNew
          ? field(
              "flag-key",
              "Key",
              keyInput,
              `What your code asks for: lowercase letters, digits, “.”, “_” and “-”, up to ${fmt(L.keyLength)} characters. It cannot change later.`,
            )
          : null,
        field(
          "flag-description",
          "Description",
          description,
          `For your team; up to ${fmt(L.descriptionLength)} characters.`,
        ),
        h(
          "div",
          { class: "field field-check" },
          enabled,
          h("label", { for: "flag-enabled" }, "On"),
          h(
            "p",
            { class: "hint", id: "flag-enabled-hint" },
            "Off: every visitor gets the off variant, whatever the rules and the rollout say.",
          ),
        ),
        h(
          "div",
          { class: "field field-check" },
          heatmaps,
          h("label", { for: "flag-heatmaps" }, "Split heatmaps by variant"),
          heatmapsHint,
        ),
      ),
    ),
    h(
      "section",
      { class: "card", "aria-labelledby": "flag-variants-heading" },
      h("h2", { id: "flag-variants-heading" }, "Variants"),
      h(
        "div",
        { class: "form" },
        field("flag-kind", "Kind", kind, "Every variant of a flag has a value of this kind."),
        variantRows,
        h(
          "div",
          { class: "actions" },
          addVariant,
          h("p", { class: "hint", id: "flag-variants-hint" }, `Up to ${fmt(L.variants)} variants.`),
        ),
        h(
          "div",
          { class: "field-row field-row-2" },
          field(
            "flag-default",
            "Default variant",
            defaultPick,
            "When no rule matches and the rollout leaves the visitor out.",
          ),
          field("flag-off", "Off variant", offPick, "Served to everyone while the flag is off."),
        ),
      ),
    ),
    h(
      "section",
      { class: "card", "aria-labelledby": "flag-rollout-heading" },
      h("h2", { id: "flag-rollout-heading" }, "Rollout"),
      h(
        "div",
        { class: "form" },
        h(
          "div",
          { class: "field field-check" },
          rolloutOn,
          h("label", { for: "flag-rollout-on" }, "Roll out to a share of visitors"),
          h(
            "p",
            { class: "hint", id: "flag-rollout-hint" },
            "For visitors no rule matched: a share of them split between variants by weight, the same variant for the same visitor every time.",
          ),
        ),
        rolloutBody,
      ),
    ),
    h(
      "section",
      { class: "card", "aria-labelledby": "flag-rules-heading" },
      h("h2", { id: "flag-rules-heading" }, "Rules"),
      h(
        "p",
        { class: "hint" },
        `Tried in order before the rollout; the first whose conditions all hold decides. Up to ${fmt(L.rules)} rules of ${fmt(L.conditionsPerRule)} conditions.`,
      ),
      h(
        "p",
        { class: "hint" },
        `Values: numbers and true/false compare as such; text in double quotes stays text ("42"). "is one of" takes a comma-separated list of up to ${fmt(L.listValues)}; each value up to ${fmt(L.conditionValueLength)} characters. A private condition keeps its flag out of the page loader: it is evaluated at the edge only (OFREP).`,
      ),
      noRules,
      ruleList,
      h("div", { class: "actions" }, addRule),
    ),
    formError.el,
    h("div", { class: "actions" }, save, h("a", { href: paths.flags(siteId), class: "button" }, "Cancel")),
  );

  function drawAll() {
    if (isNew) keyInput.value = form.key;
    description.value = form.description;
    enabled.checked = form.enabled;
    drawHeatmaps();
    drawVariants();
    drawDependents();
  }

  function drawVariants() {
    kind.value = form.kind;
    variantRows.replaceChildren(...form.variants.map((row, i) => variantRow(row, i)));
    addVariant.hidden = form.kind === "boolean";
    addVariant.disabled = form.variants.length >= L.variants;
  }

  function variantRow(row: VariantRow, i: number): HTMLElement {
    const name = h("input", {
      type: "text",
      id: rowControlId(row, "name"),
      maxlength: L.variantNameLength,
      autocomplete: "off",
      spellcheck: "false",
      autocapitalize: "none",
    });
    name.value = row.name;
    name.addEventListener("input", () => {
      row.name = name.value;
      refreshNames();
    });
    const value = valueControl(row, form.kind);
    const remove = h("button", { type: "button", class: "button button-quiet" }, "Remove");
    remove.setAttribute("aria-label", `Remove variant ${i + 1}`);
    remove.hidden = form.kind === "boolean";
    remove.disabled = form.variants.length <= 1;
    remove.addEventListener("click", () => {
      form = resync({ ...form, variants: form.variants.filter((v) => v !== row) });
      drawVariants();
      drawDependents();
      addVariant.focus();
    });
    return h(
      "div",
      { class: "variant-row", "data-variant": row.id },
      h("div", { class: "field" }, h("label", { for: name.id }, `Variant ${i + 1} name`), name),
      h("div", { class: "field" }, h("label", { for: value.id }, `Variant ${i + 1} value`), value),
      remove,
    );
  }

  function drawDependents() {
    drawPicker(defaultPick, form.defaultVariant);
    drawPicker(offPick, form.offVariant);
    drawRollout();
    drawRules();
  }

  function drawPicker(select: HTMLSelectElement, picked: string) {
    select.replaceChildren(...variantOptions(form.variants, picked));
    select.value = form.variants.some((v) => v.id === picked) ? picked : "";
  }

  function drawRollout() {
    rolloutOn.checked = form.rollout.on;
    rolloutBody.hidden = !form.rollout.on;
    slider.value = String(form.rollout.percentage);
    sliderValue.textContent = `${form.rollout.percentage}%`;
    rolloutWeights.replaceChildren(weightsEditor(form.rollout.weights, "rollout", "Split of the rollout"));
  }

  function drawRules() {
    ruleList.replaceChildren(...form.rules.map((rule, i) => ruleItem(rule, i)));
    noRules.hidden = form.rules.length > 0;
    addRule.disabled = form.rules.length >= L.rules;
  }

  function ruleItem(rule: RuleForm, i: number): HTMLElement {
    const move = (to: number, control: "up" | "down") => {
      const [moved] = form.rules.splice(i, 1);
      if (moved) form.rules.splice(to, 0, moved);
      drawRules();
      const target = document.getElementById(`flag-rule-${to}-${control}`) as HTMLButtonElement | null;
      (target && !target.disabled ? target : document.getElementById(`flag-rule-${to}-remove`))?.focus();
    };
    const up = h("button", { type: "button", class: "button button-quiet", id: `flag-rule-${i}-up` }, "Move up");
    up.disabled = i === 0;
    up.addEventListener("click", () => move(i - 1, "up"));
    const down = h("button", { type: "button", class: "button button-quiet", id: `flag-rule-${i}-down` }, "Move down");
    down.disabled = i === form.rules.length - 1;
    down.addEventListener("click", () => move(i + 1, "down"));
    const remove = h(
      "button",
      { type: "button", class: "button button-quiet", id: `flag-rule-${i}-remove` },
      "Remove rule",
    );
    remove.addEventListener("click", () => {
      form.rules.splice(i, 1);
      drawRules();
      addRule.focus();
    });

    const conditions = h(
      "ul",
      { class: "condition-list" },
      rule.conditions.map((c, j) => conditionRow(rule, c, i, j)),
    );
    const addCondition = h("button", { type: "button", class: "button" }, "Add condition");
    addCondition.disabled = rule.conditions.length >= L.conditionsPerRule;
    addCondition.addEventListener("click", () => {
      rule.conditions.push(newCondition());
      drawRules();
      document.getElementById(conditionId(i, rule.conditions.length - 1, "attribute"))?.focus();
    });

    const serveName = `flag-rule-${i}-serve`;
    const serveVariant = h("input", { type: "radio", name: serveName, id: `${serveName}-variant`, value: "variant" });
    const serveSplit = h("input", { type: "radio", name: serveName, id: `${serveName}-split`, value: "split" });
    serveVariant.checked = rule.serve === "variant";
    serveSplit.checked = rule.serve === "split";
    const variantPick = h("select", { id: `flag-rule-${i}-variant` }, variantOptions(form.variants, rule.variant));
    variantPick.value = form.variants.some((v) => v.id === rule.variant) ? rule.variant : "";
    variantPick.addEventListener("change", () => {
      rule.variant = variantPick.value;
    });
    const variantField = h(
      "div",
      { class: "field" },
      h("label", { for: variantPick.id }, `Rule ${i + 1} variant`),
      variantPick,
    );
    const splitField = weightsEditor(rule.split, `rule-${i}`, `Rule ${i + 1} split`);
    const showServe = () => {
      variantField.hidden = rule.serve !== "variant";
      splitField.hidden = rule.serve !== "split";
    };
    for (const radio of [serveVariant, serveSplit]) {
      radio.addEventListener("change", () => {
        rule.serve = radio.value as RuleForm["serve"];
        showServe();
      });
    }
    showServe();

    return h(
      "li",
      { class: "rule", "data-rule": i },
      h(
        "fieldset",
        {},
        h("legend", {}, `Rule ${i + 1}`),
        h("div", { class: "rule-tools" }, up, down, remove),
        h("p", { class: "rule-when" }, "When all of these hold:"),
        conditions,
        h("div", { class: "actions" }, addCondition),
        h(
          "div",
          { class: "serve", role: "radiogroup", "aria-label": `Rule ${i + 1} serves` },
          h("span", { class: "label" }, "Serve"),
          h("label", { class: "radio" }, serveVariant, "one variant"),
          h("label", { class: "radio" }, serveSplit, "a split"),
        ),
        variantField,
        splitField,
      ),
    );
  }

  function conditionRow(rule: RuleForm, c: ConditionForm, i: number, j: number): HTMLElement {
    const label = `Rule ${i + 1} condition ${j + 1}`;
    const attribute = h(
      "select",
      { id: conditionId(i, j, "attribute"), "aria-label": `${label} attribute` },
      ATTRIBUTES.map(([value, text]) => h("option", { value }, text)),
    );
    attribute.value = c.attribute;
    const custom = h("input", {
      type: "text",
      id: conditionId(i, j, "custom"),
      "aria-label": `${label} attribute name`,
      placeholder: "plan",
      maxlength: L.attributeLength,
      autocomplete: "off",
      spellcheck: "false",
      autocapitalize: "none",
    });
    custom.value = c.custom;
    custom.hidden = c.attribute !== "custom";
    const op = h(
      "select",
      { id: conditionId(i, j, "op"), "aria-label": `${label} operator` },
      CONDITION_OPS.map(([value, text]) => h("option", { value }, text)),
    );
    op.value = c.op;
    const value = h("input", {
      type: "text",
      id: conditionId(i, j, "value"),
      "aria-label": `${label} value`,
      autocomplete: "off",
      spellcheck: "false",
    });
    value.value = c.value;
    const shape = () => {
      const list = isListOp(c.op);
      value.placeholder = PLACEHOLDERS[c.attribute][list ? 1 : 0];
      // A list's own bounds (entries, each entry's length) are the schema's to check on saving.
      if (list) value.removeAttribute("maxlength");
      else value.maxLength = L.conditionValueLength;
    };
    shape();
    attribute.addEventListener("change", () => {
      c.attribute = attribute.value as AttributeChoice;
      custom.hidden = c.attribute !== "custom";
      shape();
      if (!custom.hidden) custom.focus();
    });
    custom.addEventListener("input", () => {
      c.custom = custom.value;
    });
    op.addEventListener("change", () => {
      c.op = op.value as ConditionOp;
      shape();
    });
    value.addEventListener("input", () => {
      c.value = value.value;
    });
    const priv = h("input", { type: "checkbox", id: conditionId(i, j, "private") });
    priv.checked = c.private === true;
    priv.addEventListener("change", () => {
      c.private = priv.checked;
    });
    const remove = h("button", { type: "button", class: "button button-quiet" }, "Remove");
    remove.setAttribute("aria-label", `Remove ${label.toLowerCase()}`);
    remove.disabled = rule.conditions.length <= 1;
    remove.addEventListener("click", () => {
      rule.conditions.splice(j, 1);
      drawRules();
      document.getElementById(conditionId(i, Math.max(0, j - 1), "attribute"))?.focus();
    });
    return h(
      "li",
      { class: "condition" },
      attribute,
      custom,
      op,
      value,
      h("label", { class: "radio", for: priv.id }, priv, "Private"),
      remove,
    );
  }

  /** Percent inputs for a split, one per variant, with their running total. */
  function weightsEditor(weights: WeightRow[], prefix: string, legend: string): HTMLElement {
    const total = h("p", { class: "weights-total", id: `flag-${prefix}-total`, "aria-live": "polite" });
    const showTotal = () => {
      const sum = percentTotal(weights);
      total.textContent =
        sum === null ? "A weight is not a percent." : `Adds up to ${sum}%${sum === 100 ? "." : "; it must be 100%."}`;
      total.classList.toggle("weights-off", sum !== 100);
    };
    const rows = weights.map((w) => {
      const row = form.variants.find((v) => v.id === w.variant);
      const input = h("input", {
        type: "text",
        inputmode: "decimal",
        id: `flag-${prefix}-weight-${w.variant}`,
        class: "percent",
        maxlength: 6,
        autocomplete: "off",
      });
      input.value = w.percent;
      input.addEventListener("input", () => {
        w.percent = input.value;
        showTotal();
      });
      return h(
        "div",
        { class: "weight" },
        h("label", { for: input.id, "data-variant-name": w.variant }, displayName(row)),
        h("span", { class: "percent-box" }, input, h("span", { "aria-hidden": "true" }, "%")),
      );
    });
    showTotal();
    return h(
      "fieldset",
      { class: "weights", id: `flag-${prefix}-weights` },
      h("legend", {}, `${legend} (%)`),
      h("div", { class: "weight-rows" }, rows),
      total,
    );
  }

  /** Labels and options name variants by row; a rename updates them all where they stand. */
  function refreshNames() {
    for (const node of el.querySelectorAll<HTMLElement>("[data-variant-name]")) {
      const id = node.dataset.variantName;
      node.textContent = displayName(form.variants.find((v) => v.id === id));
    }
  }

  el.addEventListener("submit", async (e) => {
    e.preventDefault();
    formError.hide();
    notice.hide();
    const result = formToFlag(form);
    if (!result.ok) {
      showErrors(formError, result.errors);
      formError.el.scrollIntoView({ block: "nearest" });
      return;
    }
    try {
      if (saved === null) {
        const flag = result.flag;
        const { data } = await busy(save, "Saving…", () => ctx.api.createFlag(siteId, flag));
        ctx.flash(`Flag ${data.key} created.`);
        ctx.navigate(paths.flag(siteId, data.key));
        return;
      }
      const key = saved.key;
      const changes = flagChanges(result.flag);
      const { data } = await busy(save, "Saving…", () => ctx.api.updateFlag(siteId, key, changes));
      saved = data;
      form = flagToForm(data);
      drawAll();
      notice.show("Changes saved.");
      notice.el.scrollIntoView({ block: "nearest" });
      el.dispatchEvent(new Event("flag-saved"));
    } catch (err) {
      formError.show(errorMessage(err), errorDetail(err));
    }
  });

  drawAll();
  return el;
}

function valueControl(row: VariantRow, kind: VariantKind): HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement {
  const id = rowControlId(row, "value");
  let control: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement;
  if (kind === "boolean") {
    control = h("select", { id }, h("option", { value: "true" }, "true"), h("option", { value: "false" }, "false"));
  } else if (kind === "json") {
    control = h("textarea", { id, rows: 2, maxlength: L.variantBytes, spellcheck: "false" });
  } else {
    control = h("input", {
      type: "text",
      id,
      maxlength: L.variantBytes,
      autocomplete: "off",
      inputmode: kind === "number" ? "decimal" : null,
    });
  }
  control.value = row.value;
  control.addEventListener(kind === "boolean" ? "change" : "input", () => {
    row.value = control.value;
  });
  return control;
}

function variantOptions(rows: VariantRow[], picked: string): HTMLOptionElement[] {
  const options = rows.map((row) => h("option", { value: row.id, "data-variant-name": row.id }, displayName(row)));
  if (!rows.some((r) => r.id === picked))
    options.unshift(h("option", { value: "", disabled: true }, "Choose a variant"));
  return options;
}

const displayName = (row: VariantRow | undefined) => (row?.name.trim() ? row.name.trim() : "(no name)");
const rowControlId = (row: VariantRow, part: "name" | "value") => `flag-variant-${row.id}-${part}`;
const conditionId = (rule: number, condition: number, part: string) =>
  `flag-rule-${rule}-condition-${condition}-${part}`;

function showErrors(box: ReturnType<typeof messageBox>, errors: string[]) {
  if (errors.length === 1) {
    box.show(`Not saved: ${errors[0]}`);
    return;
  }
  box.show("Not saved. Fix these first:");
  box.el.append(
    h(
      "ul",
      { class: "error-list" },
      errors.map((e) => h("li", {}, e)),
    ),
  );
}

const VARIANT_DAYS = 30;

/**
 * Pageviews and sessions per variant over the last VARIANT_DAYS days: each pageview counts
 * under the variant the loader served it (public flags; docs/FLAGS.md), so an experiment is
 * read here, beside its definition.
 */
function variantsCard(ctx: ViewContext, siteId: string, key: string): HTMLElement {
  const body = h("tbody", {}, h("tr", { class: "table-note" }, h("td", { colspan: 4 }, "Loading…")));
  const note = (text: string) => body.replaceChildren(h("tr", { class: "table-note" }, h("td", { colspan: 4 }, text)));
  const to = new Date(Math.ceil(Date.now() / 3_600_000) * 3_600_000);
  const from = new Date(to.getTime() - VARIANT_DAYS * 86_400_000);
  ctx.api.flagVariants(siteId, key, { from, to, signal: ctx.signal }).then(
    ({ data }) => {
      const sessions = data.items.reduce((n, r) => n + r.sessions, 0);
      if (data.items.length === 0) {
        note("No pageviews counted under this flag yet. Flags with private targeting are not counted.");
        return;
      }
      body.replaceChildren(
        ...data.items.map((r) =>
          h(
            "tr",
            { "data-variant": r.variant },
            h("td", { class: "label" }, r.variant),
            h("td", { class: "num" }, formatCount(r.pageviews)),
            h("td", { class: "num" }, formatCount(r.sessions)),
            h("td", { class: "num" }, sessions > 0 ? `${Math.round((r.sessions / sessions) * 100)}%` : "–"),
          ),
        ),
      );
    },
    (err) => {
      if (!ctx.signal.aborted) note(`Could not load: ${errorMessage(err)}`);
    },
  );
  return h(
    "section",
    { class: "card table-card", "aria-labelledby": "flag-variants-heading", id: "flag-variants" },
    h("h2", { id: "flag-variants-heading" }, `Variants served, last ${VARIANT_DAYS} days`),
    h(
      "div",
      { class: "table-scroll" },
      h(
        "table",
        {},
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            h("th", { scope: "col" }, "Variant"),
            h("th", { scope: "col", class: "num" }, "Pageviews"),
            h("th", { scope: "col", class: "num" }, "Sessions"),
            h("th", { scope: "col", class: "num" }, "Share of sessions"),
          ),
        ),
        body,
      ),
    ),
  );
}

/** The flag's audited changes, newest first, a page at a time. */
function historyCard(ctx: ViewContext, siteId: string, key: string) {
  const list = h("ol", { class: "history", id: "flag-history" });
  const error = messageBox("error");
  const more = h("button", { type: "button", class: "button", id: "flag-history-more", hidden: true }, "Load more");
  let cursor: string | null = null;
  const load = async (from: string | null) => {
    const { data } = await ctx.api.flagHistory(siteId, key, {
      cursor: from ?? undefined,
      limit: HISTORY_PAGE,
      signal: ctx.signal,
    });
    if (from === null) list.replaceChildren();
    list.append(...data.items.map(historyItem));
    cursor = data.nextCursor;
    more.hidden = cursor === null;
  };
  const guarded = async (from: string | null) => {
    error.hide();
    try {
      await load(from);
    } catch (err) {
      if (!ctx.signal.aborted) error.show(errorMessage(err), errorDetail(err));
    }
  };
  more.addEventListener("click", () => void busy(more, "Loading…", () => guarded(cursor)));
  const el = h(
    "section",
    { class: "card", "aria-labelledby": "flag-history-heading" },
    h("h2", { id: "flag-history-heading" }, "History"),
    error.el,
    list,
    h("div", { class: "actions" }, more),
  );
  return { el, reload: () => guarded(null) };
}

const ACTION_WORDS = { created: "Created", updated: "Changed", deleted: "Deleted" } as const;

function historyItem(change: FlagChange): HTMLElement {
  return h(
    "li",
    { class: "history-item", "data-version": change.version, "data-action": change.action },
    h(
      "p",
      { class: "history-head" },
      h("strong", {}, ACTION_WORDS[change.action]),
      ` by ${change.actor} · `,
      h("time", { datetime: change.at }, formatDateTime(change.at)),
    ),
    h(
      "ul",
      { class: "history-changes" },
      historyChanges(change.before, change.after).map((line) => h("li", {}, line)),
    ),
  );
}

function deleteCard(ctx: ViewContext, siteId: string, key: string): HTMLElement {
  const error = messageBox("error");
  const start = h("button", { type: "button", class: "button button-danger", id: "flag-delete" }, "Delete flag…");
  const confirm = h(
    "button",
    { type: "button", class: "button button-danger", id: "flag-delete-confirm" },
    "Delete permanently",
  );
  const cancel = h("button", { type: "button", class: "button" }, "Cancel");
  const panel = h(
    "div",
    { class: "confirm", hidden: true },
    h("p", {}, `Delete ${key}? Pages then get the fallback their code passes, and OFREP answers FLAG_NOT_FOUND.`),
    h("div", { class: "actions" }, confirm, cancel),
  );
  start.addEventListener("click", () => {
    panel.hidden = false;
    start.hidden = true;
    cancel.focus();
  });
  cancel.addEventListener("click", () => {
    panel.hidden = true;
    start.hidden = false;
    start.focus();
  });
  confirm.addEventListener("click", async () => {
    error.hide();
    try {
      await busy(confirm, "Deleting…", () => ctx.api.deleteFlag(siteId, key));
      ctx.flash(`${key} was deleted.`);
      ctx.navigate(paths.flags(siteId), { replace: true });
    } catch (err) {
      error.show(errorMessage(err), errorDetail(err));
    }
  });
  return h(
    "section",
    { class: "card card-danger", "aria-labelledby": "flag-danger-heading" },
    h("h2", { id: "flag-danger-heading" }, "Delete this flag"),
    h("p", {}, "Its audit history is kept."),
    error.el,
    start,
    panel,
  );
}
