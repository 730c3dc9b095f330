// Supervisor: the escalation list, and what waits for the supervisor's decision in the unit
// (closure requests and rent commitments, from GET /closure-requests and GET /rent-commitments,
// both scoped to the unit by the API). The unit's worklist is the worklist screen.

import * as api from "../api.js";
import { h, mount } from "../dom.js";
import { t, label, fmtDate, fmtMoney, daysText } from "../i18n.js";
import { field, form } from "../forms.js";
import { worklistTable, caseRef, daysLevel } from "./worklist.js";
import { decideCommitmentForm } from "./case_forms.js";

export async function renderEscalations(main) {
  mount(main, h("h1", null, t("escalations_title")), h("p", null, t("loading")));
  const page = await api.get("/worklist");
  mount(main, h("h1", null, t("escalations_title")),
    page.escalation.length ? worklistTable(page.escalation, t("escalations_title")) : h("p", null, t("worklist_empty")));
}

/** A paginated list: every page of `path` until the user stops asking for more. */
function pager(path) {
  const list = { items: [], cursor: null, done: false };
  list.load = async () => {
    const sep = path.includes("?") ? "&" : "?";
    const page = await api.get(list.cursor ? `${path}${sep}cursor=${encodeURIComponent(list.cursor)}` : path);
    list.items.push(...page.items);
    list.cursor = page.next_cursor || null;
    list.done = !list.cursor;
  };
  return list;
}

export async function renderDecisions(main, _m, flash) {
  mount(main, h("h1", null, t("decisions_title")), h("p", null, t("loading")));
  const closures = pager("/closure-requests?status=pending");
  const commitments = pager("/rent-commitments?status=pending");
  await Promise.all([closures.load(), commitments.load()]);
  const redraw = (message) => renderDecisions(main, null, message);
  const draw = () => mount(main,
    h("h1", null, t("decisions_title")),
    h("div.conflict-slot", { id: "conflict" }),
    flash ? h("p.notice.ok", { role: "status", id: "decided", tabindex: "-1" }, flash) : null,
    h("section.card", { "aria-labelledby": "sec-closures-pending" },
      h("h2", { id: "sec-closures-pending" }, `${t("closures_pending")} (${closures.items.length}${closures.done ? "" : "+"})`),
      closures.items.length === 0 ? h("p", null, t("nothing_pending")) :
        h("ul.decisions", null, closures.items.map((item) => closureItem(item, redraw))),
      more(closures, draw)),
    h("section.card", { "aria-labelledby": "sec-rc-pending" },
      h("h2", { id: "sec-rc-pending" }, `${t("commitments_pending")} (${commitments.items.length}${commitments.done ? "" : "+"})`),
      commitments.items.length === 0 ? h("p", null, t("nothing_pending")) :
        h("ul.decisions", null, commitments.items.map((item) => commitmentItem(item, redraw))),
      more(commitments, draw)));
  draw();
  if (flash) document.getElementById("decided")?.focus();
}

function more(list, draw) {
  return list.done ? null : h("button.secondary", { type: "button", onclick: async () => { await list.load(); draw(); } }, t("more_rows"));
}

function caseLine(c) {
  return h("p", null,
    h("a", { href: `#/cases/${c.id}` }, `${t("case_ref")} ${caseRef(c.id)}`), " · ",
    label("status", c.status), " · ", `${t("risk")}: ${label("risk", c.risk_level)}`,
    c.children_involved ? [" ", h("span.tag.children", null, t("children_yes"))] : null,
    c.assigned_to ? null : h("span.muted", null, ` · ${t("unassigned")}`));
}

function closureItem(item, redraw) {
  const r = item.closure_request;
  const f = form(null, [
    field("decision", t("rc_decision"), { kind: "select", required: true, options: [["approve", t("approve")], ["reject", t("reject")]] }),
    field("reason", t("rc_decision_reason"), { kind: "textarea", rows: 2, required: true }),
  ], t("rc_decide"), async (v) => {
    await api.post(`/cases/${r.case_id}/closure-approvals`, { closure_request_id: r.id, decision: v.decision, reason: v.reason });
    await redraw(v.decision === "approve" ? t("closure_approved") : t("closure_rejected"));
  }, { class: "form" });
  f.classList.add("closure-decide");
  return h("li.card.inner", { "data-closure-request": r.id, "data-case": r.case_id },
    caseLine(item.case),
    h("p", null, h("strong", null, `${t("closing_outcome")}: ${label("outcome", r.outcome)}`),
      h("span.muted", null, ` · ${t("requested_on")} ${fmtDate(r.created_at)}`)),
    item.reason ? h("p", null, item.reason) : null,
    f);
}

function commitmentItem(item, redraw) {
  const rc = item.commitment;
  const ctx = { kase: { id: rc.case_id }, reload: () => redraw(t("rc_decided")) };
  const due = rc.reinstatement_due_on;
  const level = due ? daysLevel(due) : null;
  const decide = decideCommitmentForm(ctx, rc);
  return h("li.card.inner", { "data-commitment": rc.id, "data-case": rc.case_id },
    caseLine(item.case),
    h("p", null, h("strong", null, fmtMoney(rc.amount)), ` · ${rc.months_covered} ${t("months").toLowerCase()}`),
    due ? h("p", null, `${t("rc_due")}: `, h("time", { datetime: due }, fmtDate(due)), " ",
      h("strong", { class: `days ${level}` }, daysText(due))) : h("p.muted", null, t("rc_no_period")),
    h("p", null, rc.reason),
    decide);
}
