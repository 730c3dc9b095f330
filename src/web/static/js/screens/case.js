// The case page: household (children marked), tenancy, deadlines with their other readings, the
// notice ledger as a timeline, notes, interventions, rent commitments, the allowed transitions and
// the forms. A 412 (someone else changed the case) offers to reload.

import * as api from "../api.js";
import { h, mount } from "../dom.js";
import { t, label, fmtDate, fmtDateTime, fmtMoney, daysText, daysUntil } from "../i18n.js";
import { role, session } from "../session.js";
import { caseRef } from "./worklist.js";
import * as forms from "./case_forms.js";

/** The case and everything shown with it, fetched in parallel. */
async function load(id) {
  const { data: kase, etag } = await api.request("GET", `/cases/${id}`);
  const [notices, deadlines, notes, interventions, commitments, tenancy, consents, staff] = await Promise.all([
    api.get(`/cases/${id}/notices`),
    api.get(`/cases/${id}/deadlines`),
    api.get(`/cases/${id}/notes`),
    api.get(`/cases/${id}/interventions`),
    api.get(`/cases/${id}/rent-commitments`),
    kase.tenancy_id ? api.get(`/tenancies/${kase.tenancy_id}`).catch(() => null) : Promise.resolve(null),
    api.get(`/cases/${id}/consents`).catch(() => ({ items: [] })),
    // Whom a supervisor may assign the case to (the unit's caseworkers and supervisors).
    role() === "supervisor" ? api.get(`/units/${kase.unit_id}/members?limit=100`).then((p) => p.items) : Promise.resolve(null),
  ]);
  return { kase, etag, notices, deadlines, notes, interventions, commitments, tenancy, consents, staff };
}

export async function renderCase(main, id) {
  mount(main, h("h1", null, t("case_title", { ref: caseRef(id) })), h("p", null, t("loading")));
  const data = await load(id);
  const reload = async (focusId) => {
    const fresh = await load(id);
    draw(main, fresh, reload);
    if (focusId) document.getElementById(focusId)?.focus();
  };
  draw(main, data, reload);
}

function draw(main, d, reload) {
  const k = d.kase;
  const ctx = { kase: k, etag: d.etag, reload, tenancy: d.tenancy, staff: d.staff };
  mount(main,
    h("div.case-head", null,
      h("h1", null, t("case_title", { ref: caseRef(k.id) })),
      h("dl.facts", null,
        fact(t("status"), label("status", k.status)),
        fact(t("legal_stage"), label("stage", k.legal_stage)),
        fact(t("risk"), label("risk", k.risk_level)),
        fact(t("col_children"), k.children_involved ? h("span.tag.children", null, t("children_yes")) : t("children_no")),
        fact(t("assignee"), assigneeText(k, d.staff)),
        fact(t("created"), fmtDate(k.created_at)))),
    h("div.conflict-slot", { id: "conflict" }),
    h("div.case-grid", null,
      h("div.col-main", null,
        deadlinesSection(d.deadlines),
        noticesSection(d.notices),
        notesSection(d.notes, ctx),
        interventionsSection(d.interventions, ctx),
        commitmentsSection(d.commitments, ctx)),
      h("div.col-side", null,
        d.staff ? assignmentSection(ctx) : null,
        householdSection(k, ctx),
        consentsSection(d.consents, ctx),
        tenancySection(d.tenancy, k, ctx),
        transitionsSection(ctx),
        forms.noticeForm(ctx))));
}

function fact(term, value) {
  return h("div", null, h("dt", null, term), h("dd", null, value));
}

function section(id, title, ...body) {
  return h("section.card", { "aria-labelledby": id }, h("h2", { id }, title), body);
}

function deadlineUrgency(due, status) {
  if (status !== "open") return "calm";
  const n = daysUntil(due);
  if (n < 0) return "overdue";
  if (n <= 7) return "urgent";
  if (n <= 21) return "soon";
  return "calm";
}

function deadlinesSection(list) {
  const items = [...(list.items || [])].sort((a, b) => a.due_on.localeCompare(b.due_on));
  return section("sec-deadlines", t("deadlines"),
    items.length === 0 ? h("p", null, t("deadlines_empty")) :
      h("ul.deadlines", null, items.map((dl) => {
        const level = deadlineUrgency(dl.due_on, dl.status);
        return h("li", { class: `deadline ${level}`, "data-kind": dl.kind, "data-status": dl.status },
          h("div.dl-row", null,
            h("strong", null, label("deadline", dl.kind)),
            h("span", { class: `dl-status st-${dl.status}` }, label("deadline_status", dl.status))),
          h("div.dl-row", null,
            h("time", { datetime: dl.due_on }, fmtDate(dl.due_on)),
            dl.status === "open" ? h("span", { class: `days ${level}` }, daysText(dl.due_on)) : null,
            dl.provisional ? h("span.tag.provisional", null, t("provisional")) : null),
          dl.provisional ? h("p.hint", null, t("provisional_long")) : null,
          dl.alternative_due_on ? h("p.hint", null, `${t("alternative")}: ${fmtDate(dl.alternative_due_on)}`) : null,
          dl.readings && dl.readings.length > 1
            ? h("details.readings", null, h("summary", null, `${t("readings")} (${dl.readings.length})`),
              h("ul", null, dl.readings.map((r) => h("li", null, `${fmtDate(r.due_on)} – ${r.rule}`))))
            : null);
      })));
}

function noticesSection(list) {
  const items = [...(list.items || [])].sort((a, b) =>
    (a.received_on || a.served_on || a.sent_on || a.created_at).localeCompare(b.received_on || b.served_on || b.sent_on || b.created_at));
  return section("sec-notices", t("notices"),
    items.length === 0 ? h("p", null, t("notices_empty")) :
      h("ol.timeline", null, items.map((n) => h("li", { class: n.superseded ? "superseded" : null, "data-kind": n.kind },
        h("div.tl-title", null, label("notice", n.kind)),
        h("dl.tl-dates", null,
          n.sent_on ? fact(t("sent_on"), fmtDate(n.sent_on)) : null,
          n.served_on ? fact(t("served_on"), fmtDate(n.served_on)) : null,
          n.received_on ? fact(t("received_on"), fmtDate(n.received_on)) : null,
          n.arrears_amount != null ? fact(t("arrears_amount"), fmtMoney(n.arrears_amount)) : null,
          n.amount_to_reinstate != null ? fact(t("amount_to_reinstate"), fmtMoney(n.amount_to_reinstate)) : null,
          n.amount_paid != null ? fact(t("amount_paid"), fmtMoney(n.amount_paid)) : null,
          fact(t("source"), label("source", n.source))),
        h("p", { class: `defect d-${n.defect_grade}` }, `${t("defect")}: ${label("defect", n.defect_grade)}`,
          n.defects && n.defects.length ? ` (${n.defects.join(", ").replaceAll("_", " ")})` : null),
        n.superseded ? h("p.hint", null, t("superseded")) : null,
        n.out_of_order ? h("p.hint", null, t("out_of_order")) : null))));
}

function notesSection(list, ctx) {
  const items = list.items || [];
  return section("sec-notes", t("notes"),
    items.length === 0 ? h("p", null, t("notes_empty")) :
      h("ul.notes", null, items.map((n) => h("li", null,
        h("p.note-meta", null, fmtDateTime(n.created_at)),
        h("p.note-body", null, n.body)))),
    forms.noteForm(ctx));
}

function interventionsSection(list, ctx) {
  const items = list.items || [];
  return section("sec-interventions", t("interventions"),
    items.length === 0 ? h("p", null, t("interventions_empty")) :
      h("table", null, h("caption.sr-only", null, t("interventions")),
        h("thead", null, h("tr", null, [t("intervention_kind"), t("intervention_status"), t("started_on"), t("outcome")].map((x) => h("th", { scope: "col" }, x)))),
        h("tbody", null, items.map((i) => h("tr", null,
          h("td", null, label("intervention", i.kind)),
          h("td", null, label("intervention_status", i.status)),
          h("td", null, i.started_on ? fmtDate(i.started_on) : t("none")),
          h("td", null, i.outcome || t("none")))))),
    forms.more("more-intervention", t("log_intervention"), forms.interventionForm(ctx)));
}

function commitmentsSection(list, ctx) {
  const items = list.items || [];
  return section("sec-commitments", t("rent_commitments"),
    items.length === 0 ? h("p", null, t("rc_empty")) :
      h("ul.commitments", null, items.map((rc) => h("li.card.inner", { "data-status": rc.status },
        h("div.dl-row", null, h("strong", null, fmtMoney(rc.amount)), ` · ${rc.months_covered} ${t("months").toLowerCase()}`,
          h("span", { class: `tag rc-${rc.status}` }, label("rc_status", rc.status))),
        h("p", null, rc.reason),
        rc.number ? h("p", null, `${t("rc_number")}: ${rc.number}`) : null,
        rc.reinstatement_due_on ? h("p", null, `${t("rc_due")}: ${fmtDate(rc.reinstatement_due_on)}`) : null,
        rc.delivered_on ? h("p", null, `${t("rc_delivered_on")}: ${fmtDate(rc.delivered_on)} (${label("channel", rc.delivery_channel)}, ${label("timeliness", rc.delivery_timeliness)})`) : null,
        rc.decision_reason ? h("p.hint", null, rc.decision_reason) : null,
        rc.status === "pending" && role() === "supervisor" ? forms.decideCommitmentForm(ctx, rc) : null,
        rc.status === "approved" && !rc.delivered_on ? forms.deliverCommitmentForm(ctx, rc) : null))),
    ctx.kase.tenancy_id ? forms.more("more-rc", t("rc_draft"), forms.draftCommitmentForm(ctx)) : null);
}

function consentsSection(list, ctx) {
  const items = list.items || [];
  const names = new Map((ctx.kase.members || []).map((m) => [m.person_id, m.name]));
  return section("sec-consents", t("consents"),
    items.length === 0 ? h("p", null, t("consents_empty")) :
      h("ul.notes", null, items.map((c) => h("li", null,
        h("strong", null, label("consent_scope", c.scope)), ` – ${names.get(c.person_id) || ""}`, h("br"),
        h("span.muted", null, `${label("consent_method", c.method)}, ${fmtDate(c.given_on)} · ${label("validity", c.validity)}`)))),
    forms.more("more-consent", t("consent_record"), forms.consentForm(ctx)));
}

function householdSection(k, ctx) {
  const members = k.members || [];
  return section("sec-household", t("household"),
    h("ul.members", null, members.map((m) => h("li", { class: m.is_minor ? "child" : null },
      h("strong", null, m.name), " ",
      m.is_minor ? h("span.tag.children", null, t("member_child")) : h("span.muted", null, t("member_adult")),
      m.protected_identity ? [" ", h("span.tag.protected", null, t("protected_identity"))] : null,
      h("br"),
      h("span.muted", null, `${label("relation", m.relation)} · ${m.personnummer}`),
      m.moved_out_on ? h("span.muted", null, ` · ${t("member_moved_out")} ${fmtDate(m.moved_out_on)}`) : null,
      h("br"), forms.protectButton(ctx, m)))),
    forms.more("more-member", t("member_add"), forms.memberForm(ctx)));
}

function tenancySection(ten, k, ctx) {
  if (!ten) return section("sec-tenancy", t("tenancy"), h("p", null, t("tenancy_none")));
  const a = ten.address;
  const incomplete = (k.tenancy && k.tenancy.incomplete) || [];
  return section("sec-tenancy", t("tenancy"),
    h("dl.facts.stack", null,
      fact(t("address"), a ? `${a.street}, ${a.postal_code} ${a.city}` : ten.address_protected ? t("protected_identity") : t("none")),
      fact(t("apartment"), ten.apartment_number || t("none")),
      fact(t("monthly_rent"), fmtMoney(ten.monthly_rent)),
      fact(t("contract_type"), label("contract", ten.contract_type)),
      ten.rooms ? fact(t("rooms"), String(ten.rooms)) : null,
      ten.size_m2 ? fact(t("size"), `${ten.size_m2} m²`) : null),
    incomplete.length ? [h("p.notice.warn", { id: "tenancy-incomplete" }, `${t("tenancy_incomplete")} ${incomplete.map(missingLabel).join(", ")}`), forms.completeTenancyForm(ctx, incomplete)] : null);
}

/** A tenancy field intake left out, in words. */
function missingLabel(code) {
  const keys = { address: "address", apartment_number: "apartment_number", monthly_rent: "monthly_rent", start_on: "started_on",
    contract_type: "contract_type", rooms: "rooms", size_m2: "size" };
  return keys[code] ? t(keys[code]).toLowerCase() : code;
}

/** Who holds the case, in words: a name where the supervisor's member list has it. */
function assigneeText(k, staff) {
  if (!k.assigned_to) return t("unassigned");
  if (session.me && k.assigned_to === session.me.id) return t("assignee_me");
  const m = (staff || []).find((x) => x.id === k.assigned_to);
  return m ? m.display_name : t("assignee_other");
}

function assignmentSection(ctx) {
  return section("sec-assignment", t("assignment"), forms.assignForm(ctx, ctx.staff));
}

function transitionsSection(ctx) {
  // The targets the API says this user may request now (the workflow's table and the policy).
  const targets = ctx.kase.allowed_transitions || [];
  return section("sec-transitions", t("transitions"),
    h("p", null, `${t("status")}: `, h("strong", null, label("status", ctx.kase.status))),
    targets.length ? forms.transitionForm(ctx, targets) : null);
}
