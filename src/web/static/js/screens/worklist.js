// The worklist (GET /api/v1/worklist): the caseworker's own cases, or the supervisor's unit,
// the nearest deadline first, urgency in words as well as colour.

import * as api from "../api.js";
import { h, mount } from "../dom.js";
import { t, label, fmtDate, daysText, daysUntil } from "../i18n.js";
import { role } from "../session.js";

/** The urgency of a worklist row (a class for the colour; the words are the bucket's label). */
export function urgency(item) {
  switch (item.bucket) {
    case "overdue": case "lapsed": case "possibly_lapsed": return "overdue";
    case "due_soon": return "urgent";
    case "provisional": case "commitment_pending": case "assignee_gone": case "reopened": case "unassigned": return "soon";
    default: return "calm";
  }
}

/** The colour of a "days left" figure. */
export function daysLevel(iso) {
  const n = daysUntil(iso);
  if (n < 0) return "overdue";
  if (n <= 7) return "urgent";
  if (n <= 21) return "soon";
  return "calm";
}

export function caseRef(id) {
  return String(id).replace(/-/g, "").slice(-8).toUpperCase();
}

export function deadlineCell(d) {
  if (!d) return h("span.muted", null, t("no_deadline"));
  return h("span", null,
    h("span.dl-kind", null, label("deadline", d.kind)), h("br"),
    h("time", { datetime: d.due_on }, fmtDate(d.due_on)),
    d.provisional ? [" ", h("span.tag.provisional", { title: t("provisional_long") }, t("provisional"))] : null,
    d.latest_due_on ? h("span.muted", null, ` (${t("latest_due")} ${fmtDate(d.latest_due_on)})`) : null);
}

export function worklistTable(items, caption) {
  return h("table.worklist", null,
    h("caption", null, caption),
    h("thead", null, h("tr", null,
      ["col_urgency", "col_case", "col_deadline", "col_days", "col_children", "col_status", "col_stage", "col_risk"]
        .map((k) => h("th", { scope: "col" }, t(k))))),
    h("tbody", null, items.map((item) => {
      const level = urgency(item);
      const d = item.next_deadline;
      return h("tr", { class: `row-${level}`, "data-case": item.case_id },
        h("td", null, h("span", { class: `urgency ${level}` }, label("bucket", item.bucket)),
          item.escalated ? [" ", h("span.tag.escalated", null, t("escalated"))] : null),
        h("th", { scope: "row" }, h("a", { href: `#/cases/${item.case_id}`, "aria-label": `${t("open_case")} ${caseRef(item.case_id)}` }, caseRef(item.case_id))),
        h("td", null, deadlineCell(d)),
        h("td", null, d ? h("strong", { class: `days ${daysLevel(d.due_on)}` }, daysText(d.due_on)) : t("none")),
        h("td", null, item.children_involved ? h("span.tag.children", null, t("children_yes")) : h("span.muted", null, t("children_no"))),
        h("td", null, label("status", item.status), item.assigned_to ? null : h("span.muted", null, ` · ${t("unassigned")}`)),
        h("td", null, label("stage", item.legal_stage)),
        h("td", null, label("risk", item.risk_level)));
    })));
}

export async function renderWorklist(main) {
  mount(main, h("h1", null, role() === "supervisor" ? t("nav_unit") : t("worklist_title")), h("p", null, t("loading")));
  const items = [];
  let cursor = null;
  const load = async () => {
    const q = cursor ? `?cursor=${encodeURIComponent(cursor)}` : "";
    const page = await api.get(`/worklist${q}`);
    items.push(...page.items);
    cursor = page.next_cursor || null;
    return page;
  };
  const first = await load();
  const draw = () => mount(main,
    h("h1", null, role() === "supervisor" ? t("nav_unit") : t("worklist_title")),
    h("p.lead", null, t("worklist_intro")),
    first.escalation.length
      ? h("p.notice.warn", null, h("a", { href: "#/escalations" }, `${t("escalations_title")}: ${first.escalation.length}${first.escalation_more ? "+" : ""}`))
      : null,
    items.length ? worklistTable(items, t("worklist_title")) : h("p", null, t("worklist_empty")),
    cursor ? h("button.secondary", { type: "button", onclick: async () => { await load(); draw(); } }, t("more_rows")) : null);
  draw();
}
