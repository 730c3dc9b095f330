// Landlord users: a notice (termination, formulär 3, payment, withdrawn application), an arrears
// report, their own receipts, and the rent commitments addressed to their organisation. Nothing
// else: the API answers them no case.

import * as api from "../api.js";
import { h, mount } from "../dom.js";
import { t, label, fmtDate, fmtDateTime, fmtMoney } from "../i18n.js";
import { field, form, compact } from "../forms.js";

const KINDS = ["termination_served", "social_notice_received", "payment_confirmed", "kfm_withdrawn"];

function tenantFields() {
  return [
    field("tenant_name", t("tenant_name"), { required: true }),
    field("tenant_pnr", t("tenant_pnr"), { required: true, hint: "ÅÅÅÅMMDD-NNNN" }),
    field("street", t("street"), { required: true, autocomplete: "off" }),
    field("postal_code", t("postal_code"), { required: true }),
    field("city", t("city"), { required: true }),
    field("municipality_code", t("municipality_code"), { required: true, value: "9999" }),
  ];
}

function tenantPart(v) {
  return {
    tenant: { name: v.tenant_name, personnummer: v.tenant_pnr },
    address: { street: v.street, postal_code: v.postal_code, city: v.city, municipality_code: v.municipality_code },
    municipality_code: v.municipality_code,
  };
}

/** Field errors name nested paths (tenant.personnummer): map them onto the flat fields. */
function remap(err) {
  if (!err || !Array.isArray(err.problem?.errors)) return err;
  const names = { "tenant.name": "tenant_name", "tenant.personnummer": "tenant_pnr", "address.street": "street",
    "address.postal_code": "postal_code", "address.city": "city", "address.municipality_code": "municipality_code" };
  err.problem.errors = err.problem.errors.map((e) => ({ ...e, field: names[e.field] || e.field }));
  return err;
}

function receiptBox(r) {
  return h("div.notice.ok", { role: "status", id: "receipt" },
    h("h2", null, t("receipt_title")),
    h("p", null, t("receipt_text", { id: r.receipt_id, at: fmtDateTime(r.received_at) })),
    h("p", null, h("a", { href: "#/landlord/receipts" }, t("receipts_title"))));
}

export function renderNotice(main) {
  const slot = h("div");
  let key = api.newIdempotencyKey();
  const f = form(null, [
    field("kind", t("notice_kind"), { kind: "select", required: true, options: KINDS.map((k) => [k, label("notice", k)]) }),
    ...tenantFields(),
    field("apartment_number", t("apartment_number")),
    field("sent_on", t("sent_on"), { kind: "date" }),
    field("served_on", t("served_on"), { kind: "date" }),
    field("service_method", t("service_method")),
    field("amount_to_reinstate", t("amount_to_reinstate"), { kind: "number", min: 0 }),
    field("amount_paid", t("amount_paid"), { kind: "number", min: 0 }),
    field("kfm_case_number", t("kfm_case_number")),
    field("reference", t("reference")),
  ], t("send"), async (v, form) => {
    try {
      const r = await api.post("/landlord/notices", compact({
        kind: v.kind, ...tenantPart(v), apartment_number: v.apartment_number, sent_on: v.sent_on,
        served_on: v.served_on, service_method: v.service_method, amount_to_reinstate: v.amount_to_reinstate,
        amount_paid: v.amount_paid, kfm_case_number: v.kfm_case_number, reference: v.reference,
      }), { idempotencyKey: key });
      key = api.newIdempotencyKey();
      form.reset();
      mount(slot, receiptBox(r));
      slot.querySelector("h2").setAttribute("tabindex", "-1");
      slot.querySelector("h2").focus();
    } catch (err) {
      throw remap(err);
    }
  });
  f.id = "landlord-notice";
  mount(main, h("h1", null, t("landlord_notice_title")), slot, f);
}

export function renderArrears(main) {
  const slot = h("div");
  let key = api.newIdempotencyKey();
  const f = form(null, [
    ...tenantFields(),
    field("apartment_number", t("apartment_number"), { required: true }),
    field("month", t("month"), { required: true, pattern: "\\d{4}-\\d{2}" }),
    field("amount_due", t("amount_due"), { kind: "number", required: true, min: 0 }),
    field("amount_paid", t("amount_paid"), { kind: "number", required: true, min: 0, value: "0" }),
    field("termination_served", t("termination_served"), { kind: "checkbox" }),
    field("reference", t("reference")),
  ], t("send"), async (v, form) => {
    try {
      const r = await api.post("/landlord/arrears-reports", compact({
        ...tenantPart(v), apartment_number: v.apartment_number, reference: v.reference,
        periods: [{ month: v.month, amount_due: v.amount_due, amount_paid: v.amount_paid }],
        total_arrears: v.amount_due - v.amount_paid, termination_served: v.termination_served,
      }), { idempotencyKey: key });
      key = api.newIdempotencyKey();
      form.reset();
      mount(slot, receiptBox(r));
      slot.querySelector("h2").setAttribute("tabindex", "-1");
      slot.querySelector("h2").focus();
    } catch (err) {
      throw remap(err);
    }
  });
  f.id = "landlord-arrears";
  mount(main, h("h1", null, t("landlord_arrears_title")), slot, f);
}

export async function renderReceipts(main) {
  mount(main, h("h1", null, t("receipts_title")), h("p", null, t("loading")));
  const list = await api.get("/landlord/receipts");
  const items = list.items || [];
  mount(main, h("h1", null, t("receipts_title")),
    items.length === 0 ? h("p", null, t("receipts_empty")) :
      h("table", null, h("caption.sr-only", null, t("receipts_title")),
        h("thead", null, h("tr", null, [t("receipt_id"), t("receipt_kind"), t("receipt_at"), t("receipt_status")].map((x) => h("th", { scope: "col" }, x)))),
        h("tbody", null, items.map((r) => h("tr", null,
          h("td", null, h("code", null, r.receipt_id)),
          h("td", null, receiptKind(r.kind)),
          h("td", null, fmtDateTime(r.received_at)),
          h("td", null, r.status === "accepted" ? t("receipt_accepted") : r.status))))));
}

function receiptKind(kind) {
  if (kind === "arrears_report") return t("nav_landlord_arrears");
  if (kind === "landlord_notice") return t("receipt_notice");
  return label("notice", kind);
}

export async function renderCommitments(main) {
  mount(main, h("h1", null, t("commitments_title")), h("p", null, t("loading")));
  const list = await api.get("/landlord/rent-commitments");
  const items = list.items || [];
  mount(main, h("h1", null, t("commitments_title")),
    items.length === 0 ? h("p", null, t("rc_empty")) :
      h("table", null, h("caption.sr-only", null, t("commitments_title")),
        h("thead", null, h("tr", null, [t("rc_number"), t("tenant"), t("address"), t("rc_amount"), t("months"), t("issued_on")].map((x) => h("th", { scope: "col" }, x)))),
        h("tbody", null, items.map((c) => h("tr", null,
          h("td", null, c.number), h("td", null, c.tenant_name),
          h("td", null, c.address ? `${c.address.street}, ${c.address.postal_code} ${c.address.city}` : c.apartment_reference),
          h("td", null, fmtMoney(c.amount)), h("td", null, String(c.months_covered)), h("td", null, fmtDate(c.issued_on)))))));
}
