// Form building blocks: labelled fields, problem+json errors shown at their fields, a status line.

import { h, uid, mount } from "./dom.js";
import { t } from "./i18n.js";

/**
 * A labelled field. kind: "text" | "number" | "date" | "textarea" | "select" | "checkbox" |
 * "password". options for select: [[value, label]]. Returns the wrapper; `.input` is the control.
 */
export function field(name, labelText, opts = {}) {
  const id = uid(`f-${name}`);
  const errId = `${id}-err`;
  const hintId = opts.hint ? `${id}-hint` : null;
  const describedBy = [hintId, errId].filter(Boolean).join(" ");
  let input;
  const common = {
    id, name, "aria-describedby": describedBy, required: opts.required || null,
    autocomplete: opts.autocomplete || null,
  };
  if (opts.kind === "textarea") {
    input = h("textarea", { ...common, rows: opts.rows || 5 });
    if (opts.value) input.value = opts.value;
  } else if (opts.kind === "select") {
    input = h("select", common,
      (opts.options || []).map(([v, l]) => h("option", { value: v, selected: v === opts.value || null }, l)));
  } else if (opts.kind === "checkbox") {
    input = h("input", { ...common, type: "checkbox", checked: opts.value || null });
  } else {
    input = h("input", {
      ...common, type: opts.kind || "text", value: opts.value ?? null,
      inputmode: opts.kind === "number" ? "numeric" : null, min: opts.min ?? null,
      pattern: opts.pattern || null,
    });
  }
  const err = h("p.field-error", { id: errId, hidden: true });
  const req = opts.required ? h("span.req", { "aria-hidden": "true" }, " *") : null;
  const wrap = opts.kind === "checkbox"
    ? h("div.field.check", null, input, h("label", { for: id }, labelText), err)
    : h("div.field", null, h("label", { for: id }, labelText, req),
      hintId ? h("p.hint", { id: hintId }, opts.hint) : null, input, err);
  wrap.input = input;
  wrap.dataset.field = name;
  return wrap;
}

/** Values of a form's named controls: numbers as numbers, empty as null, checkboxes as booleans. */
export function values(form) {
  const out = {};
  for (const el of form.querySelectorAll("[name]")) {
    if (el.type === "checkbox") out[el.name] = el.checked;
    else if (el.value.trim() === "") out[el.name] = null;
    else if (el.type === "number") out[el.name] = Number(el.value);
    else out[el.name] = el.value.trim();
  }
  return out;
}

/** Drop nulls (fields left empty). */
export function compact(obj) {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== null && v !== undefined));
}

export function clearErrors(form) {
  for (const e of form.querySelectorAll(".field-error")) {
    e.hidden = true;
    e.textContent = "";
  }
  for (const i of form.querySelectorAll("[aria-invalid]")) i.removeAttribute("aria-invalid");
}

/**
 * Show an API error on a form: a 422's field errors at their fields (the first one focused), the
 * rest in the form's status line. Returns true when it was shown at fields.
 */
export function showError(form, status, err) {
  clearErrors(form);
  const fieldErrors = err && err.fieldErrors ? err.fieldErrors : [];
  let first = null;
  const loose = [];
  for (const fe of fieldErrors) {
    const name = String(fe.field).split(/[.[]/)[0];
    const wrap = form.querySelector(`[data-field="${CSS.escape(fe.field)}"]`) ||
      form.querySelector(`[data-field="${CSS.escape(name)}"]`);
    if (!wrap) {
      loose.push(`${fe.field}: ${fe.message}`);
      continue;
    }
    const p = wrap.querySelector(".field-error");
    p.hidden = false;
    p.textContent = p.textContent ? `${p.textContent}; ${fe.message}` : fe.message;
    wrap.input.setAttribute("aria-invalid", "true");
    first = first || wrap.input;
  }
  if (first) {
    say(status, [t("fix_fields"), ...loose].join(" "), "error");
    first.focus();
    return true;
  }
  say(status, err && err.message ? err.message : t("error_generic"), "error");
  status.setAttribute("tabindex", "-1");
  status.focus();
  return false;
}

/** A live status line for a form. */
export function statusLine() {
  return h("div.status", { role: "status", "aria-live": "polite" });
}

export function say(status, text, kind) {
  status.className = `status ${kind || ""}`;
  mount(status, text);
}

/** A form whose submit calls `onSubmit(values, form, status)` with errors shown at the fields. */
export function form(title, fields, submitText, onSubmit, opts = {}) {
  const status = statusLine();
  const button = h("button.primary", { type: "submit" }, submitText);
  const f = h("form", { novalidate: true, class: opts.class || "card form" },
    title ? h(opts.headingLevel || "h3", null, title) : null, fields, h("div.actions", null, button), status);
  f.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearErrors(f);
    const missing = [...f.querySelectorAll("[required]")].filter((i) => i.type !== "checkbox" && !i.value.trim());
    if (missing.length) {
      for (const i of missing) {
        const p = i.closest(".field").querySelector(".field-error");
        p.hidden = false;
        p.textContent = t("field_required");
        i.setAttribute("aria-invalid", "true");
      }
      say(status, t("fix_fields"), "error");
      missing[0].focus();
      return;
    }
    button.disabled = true;
    try {
      await onSubmit(values(f), f, status);
    } catch (err) {
      if (err && err.status === 401) return; // the session handler took over
      if (opts.onError && opts.onError(err, f, status)) return;
      showError(f, status, err);
    } finally {
      button.disabled = false;
    }
  });
  return f;
}
