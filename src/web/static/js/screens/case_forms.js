// The forms of the case page. Each posts to the public API; problem+json field errors appear at
// their fields; a 412 (the case changed meanwhile) offers to reload the case.

import * as api from "../api.js";
import { h, mount } from "../dom.js";
import { t, label, codes, todayIso } from "../i18n.js";
import { field, form, compact, say } from "../forms.js";
import { session } from "../session.js";

/** A 412 or 428: tell the user and offer to reload; returns true when handled. */
function conflict(ctx) {
  return (err) => {
    if (!err || (err.status !== 412 && err.status !== 428)) return false;
    const slot = document.getElementById("conflict");
    const button = h("button.primary", { type: "button", onclick: () => ctx.reload() }, t("reload_case"));
    mount(slot, h("div.notice.warn", { role: "alert" }, h("p", null, t("conflict_reload")), button));
    button.focus();
    return true;
  };
}

const opts = (group) => codes(group).map((c) => [c, label(group, c)]);

/** Formulär 3 (and the other notices a caseworker registers from paper). */
export function noticeForm(ctx) {
  const kinds = ["social_notice_received", "termination_served", "arrears_reported", "payment_confirmed",
    "kfm_application_received", "kfm_order_issued", "kfm_withdrawn"];
  const f = form(t("register_notice"), [
    field("kind", t("notice_kind"), { kind: "select", required: true, value: "social_notice_received", options: kinds.map((k) => [k, label("notice", k)]) }),
    field("sent_on", t("sent_on"), { kind: "date" }),
    field("served_on", t("served_on"), { kind: "date" }),
    field("received_on", t("received_on"), { kind: "date" }),
    field("arrears_amount", t("arrears_amount"), { kind: "number", min: 0 }),
    field("amount_to_reinstate", t("amount_to_reinstate"), { kind: "number", min: 0 }),
    field("kfm_case_number", t("kfm_case_number")),
    field("external_ref", t("external_ref")),
  ], t("save_notice"), async (v) => {
    await api.post(`/cases/${ctx.kase.id}/notices`, compact(v));
    await ctx.reload("sec-deadlines");
  }, { class: "card form", headingLevel: "h2", onError: conflict(ctx) });
  f.id = "notice-form";
  return f;
}

/** A note; what is typed is kept in memory (session.drafts) so an expired session loses nothing. */
export function noteForm(ctx) {
  const key = `note:${ctx.kase.id}`;
  const body = field("body", t("note_body"), { kind: "textarea", required: true, hint: t("note_hint"), value: session.drafts.get(key) || "" });
  body.input.addEventListener("input", () => session.drafts.set(key, body.input.value));
  const f = form(null, [body], t("save_note"), async (v) => {
    await api.post(`/cases/${ctx.kase.id}/notes`, { body: v.body });
    session.drafts.delete(key);
    await ctx.reload("sec-notes");
  }, { onError: conflict(ctx) });
  f.id = "note-form";
  return f;
}

export function interventionForm(ctx) {
  const f = form(null, [
    field("kind", t("intervention_kind"), { kind: "select", required: true, options: opts("intervention") }),
    field("status", t("intervention_status"), { kind: "select", value: "completed", options: opts("intervention_status") }),
    field("started_on", t("started_on"), { kind: "date", value: todayIso() }),
    field("ended_on", t("ended_on"), { kind: "date" }),
    field("amount", t("amount"), { kind: "number", min: 0 }),
    field("outcome", t("outcome")),
  ], t("log_intervention"), async (v) => {
    await api.post(`/cases/${ctx.kase.id}/interventions`, compact(v));
    await ctx.reload("sec-interventions");
  }, { onError: conflict(ctx) });
  f.id = "intervention-form";
  return f;
}

export function transitionForm(ctx, targets) {
  const outcome = field("outcome", t("closing_outcome"), { kind: "select", options: [["", "–"], ...opts("outcome")] });
  const to = field("to", t("transition_to"), { kind: "select", required: true, options: targets.map((s) => [s, label("status", s)]) });
  const showOutcome = () => { outcome.hidden = to.input.value !== "closed"; };
  to.input.addEventListener("change", showOutcome);
  const f = form(null, [to, outcome, field("reason", t("reason"), { kind: "textarea", rows: 2, required: true })],
    t("do_transition"), async (v, _f, status) => {
      const body = compact({ to: v.to, reason: v.reason, outcome: v.to === "closed" ? v.outcome : null });
      const res = await api.request("POST", `/cases/${ctx.kase.id}/transitions`, { body, ifMatch: ctx.etag });
      if (res.status === 202) {
        say(status, t("closure_pending"), "ok");
        return;
      }
      await ctx.reload("sec-transitions");
    }, { onError: conflict(ctx) });
  showOutcome();
  f.id = "transition-form";
  return f;
}

export function draftCommitmentForm(ctx) {
  const f = form(null, [
    field("amount", t("rc_amount"), { kind: "number", required: true, min: 1 }),
    field("months_covered", t("rc_months"), { kind: "number", required: true, min: 1, value: "1" }),
    field("reason", t("rc_reason"), { kind: "textarea", rows: 2, required: true }),
  ], t("rc_draft"), async (v) => {
    await api.post(`/cases/${ctx.kase.id}/rent-commitments`, v);
    await ctx.reload("sec-commitments");
  }, { onError: conflict(ctx) });
  f.id = "rc-draft-form";
  return f;
}

export function decideCommitmentForm(ctx, rc) {
  const decision = field("decision", t("rc_decision"), { kind: "select", required: true, options: [["approve", t("rc_approve")], ["reject", t("rc_reject")]] });
  const f = form(null, [decision,
    field("reason", t("rc_decision_reason"), { kind: "textarea", rows: 2, required: true }),
    field("legal_basis", t("rc_legal_basis"), { hint: t("rc_legal_basis_hint") })],
  t("rc_decide"), async (v) => {
    const body = { decision: v.decision, reason: v.reason, legal_basis: v.legal_basis ? { reason: v.legal_basis } : null };
    await api.post(`/cases/${ctx.kase.id}/rent-commitments/${rc.id}/decision`, compact(body));
    await ctx.reload("sec-commitments");
  }, { onError: conflict(ctx), class: "form" });
  f.classList.add("rc-decide");
  return f;
}

export function deliverCommitmentForm(ctx, rc) {
  const f = form(null, [
    field("delivered_on", t("rc_delivered_on"), { kind: "date", required: true, value: todayIso() }),
    field("channel", t("rc_channel"), { kind: "select", required: true, value: "portal", options: opts("channel") }),
  ], t("rc_deliver"), async (v) => {
    await api.post(`/cases/${ctx.kase.id}/rent-commitments/${rc.id}/delivery`, v);
    await ctx.reload("sec-deadlines");
  }, { onError: conflict(ctx), class: "form inline" });
  f.classList.add("rc-deliver");
  return f;
}

/** Fill in what intake left out of a placeholder tenancy (PATCH with the tenancy's version). */
export function completeTenancyForm(ctx, incomplete) {
  const ten = ctx.tenancy;
  const want = new Set(incomplete);
  const fields = [];
  if (want.has("address")) {
    fields.push(field("street", t("street"), { required: true }), field("postal_code", t("postal_code"), { required: true }),
      field("city", t("city"), { required: true }), field("municipality_code", t("municipality_code"), { required: true }));
  }
  if (want.has("apartment_number")) fields.push(field("apartment_number", t("apartment_number"), { required: true }));
  if (want.has("monthly_rent")) fields.push(field("monthly_rent", t("monthly_rent"), { kind: "number", required: true, min: 1 }));
  if (want.has("start_on")) fields.push(field("start_on", t("started_on"), { kind: "date", required: true }));
  if (want.has("contract_type")) {
    fields.push(field("contract_type", t("contract_type"), { kind: "select", required: true, options: opts("contract").filter(([c]) => c !== "other") }));
  }
  if (want.has("rooms")) fields.push(field("rooms", t("rooms"), { kind: "number", min: 1 }));
  if (want.has("size_m2")) fields.push(field("size_m2", t("size"), { kind: "number", min: 1 }));
  if (!fields.length) return null;
  const f = form(null, fields, t("save"), async (v) => {
    const body = compact({
      apartment_number: v.apartment_number, monthly_rent: v.monthly_rent, start_on: v.start_on,
      contract_type: v.contract_type, rooms: v.rooms, size_m2: v.size_m2,
      address: v.street ? { street: v.street, postal_code: v.postal_code, city: v.city, municipality_code: v.municipality_code } : null,
    });
    await api.request("PATCH", `/tenancies/${ten.id}`, { body, ifMatch: `"${ten.version}"` });
    await ctx.reload("sec-tenancy");
  }, { onError: conflict(ctx), class: "form" });
  f.id = "tenancy-form";
  return f;
}

/** Record a consent (samtycke) for an adult of the household. */
export function consentForm(ctx) {
  const adults = (ctx.kase.members || []).filter((m) => !m.is_minor && !m.moved_out_on);
  if (!adults.length) return null;
  const f = form(null, [
    field("person_id", t("consent_person"), { kind: "select", required: true, options: adults.map((m) => [m.person_id, m.name]) }),
    field("scope", t("consent_scope"), { kind: "select", required: true, options: opts("consent_scope") }),
    field("method", t("consent_method"), { kind: "select", required: true, value: "written", options: opts("consent_method") }),
    field("given_on", t("consent_given_on"), { kind: "date", required: true, value: todayIso() }),
    field("expires_on", t("consent_expires_on"), { kind: "date" }),
  ], t("consent_record"), async (v) => {
    const { person_id: person, ...body } = v;
    await api.post(`/persons/${person}/consents`, compact(body));
    await ctx.reload("sec-consents");
  }, { onError: conflict(ctx) });
  f.id = "consent-form";
  return f;
}

/** Set or clear a member's protected identity (PATCH /persons/{id} with its version). */
export function protectButton(ctx, member) {
  const next = !member.protected_identity;
  return h("button.link", {
    type: "button",
    onclick: async () => {
      try {
        const { etag } = await api.request("GET", `/persons/${member.person_id}`);
        await api.request("PATCH", `/persons/${member.person_id}`, { body: { protected_identity: next }, ifMatch: etag });
        await ctx.reload("sec-household");
      } catch (err) {
        if (!conflict(ctx)(err) && err.status !== 401) {
          mount(document.getElementById("conflict"), h("p.notice.warn", { role: "alert" }, err.message));
        }
      }
    },
  }, next ? t("protect_set") : t("protect_clear"), h("span.sr-only", null, ` – ${member.name}`));
}

/** Add a member to the case's household. */
export function memberForm(ctx) {
  const f = form(null, [
    field("name", t("member_name"), { required: true }),
    field("personnummer", t("member_pnr"), { required: true, hint: "ÅÅÅÅMMDD-NNNN" }),
    field("relation", t("member_relation"), { kind: "select", required: true, value: "child", options: opts("relation") }),
    field("residence", t("member_residence"), { kind: "select", value: "permanent", options: opts("residence") }),
  ], t("member_add"), async (v) => {
    await api.post(`/households/${ctx.kase.household_id}/members`, compact(v));
    await ctx.reload("sec-household");
  }, { onError: conflict(ctx) });
  f.id = "member-form";
  return f;
}

/** Assign the case to a member of its unit (supervisors): PATCH /cases/{id} with If-Match. */
export function assignForm(ctx, members) {
  const current = ctx.kase.assigned_to || "";
  const options = [["", t("unassigned")], ...members.map((m) => [m.id, `${m.display_name} (${label("role", m.role)})`])];
  if (current && !members.some((m) => m.id === current)) options.push([current, t("assignee_other")]);
  const f = form(null, [field("assigned_to", t("assign_to"), { kind: "select", value: current, options })],
    t("assign"), async (v) => {
      await api.request("PATCH", `/cases/${ctx.kase.id}`, { body: { assigned_to: v.assigned_to }, ifMatch: ctx.etag });
      await ctx.reload("sec-assignment");
    }, { class: "form", onError: conflict(ctx) });
  f.id = "assign-form";
  return f;
}

/** A form behind a disclosure button, so that the page shows the case first. */
export function more(id, title, el) {
  if (!el) return null;
  return h("details.more", { id }, h("summary", null, title), el);
}
