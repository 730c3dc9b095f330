// Auditor: verify the audit chain, work through access-review sets (verdicts, sign-off), and a
// data subject's access extract.

import * as api from "../api.js";
import { h, mount } from "../dom.js";
import { t, fmtDate, fmtDateTime, currentLang } from "../i18n.js";
import { field, form, say } from "../forms.js";

const sv = () => currentLang() === "sv";

export async function renderAudit(main) {
  const verifyOut = h("div", { role: "status", "aria-live": "polite" });
  const verify = h("button.primary", { type: "button", onclick: async () => {
    verify.disabled = true;
    mount(verifyOut, t("loading"));
    try {
      const r = await api.get("/audit/verify");
      mount(verifyOut, h("p", { class: `notice ${r.ok ? "ok" : "warn"}` }, r.ok ? t("chain_ok") : t("chain_broken"),
        ` ${r.events} ${sv() ? "händelser" : "events"}, ${r.checkpoints} ${sv() ? "kontrollpunkter" : "checkpoints"}.`,
        r.problem ? ` ${r.problem}` : null));
    } finally {
      verify.disabled = false;
    }
  } }, t("verify_chain"));
  const reviews = await api.get("/access-reviews");
  const detail = h("div");
  mount(main, h("h1", null, t("audit_title")),
    h("section.card", { "aria-labelledby": "sec-verify" }, h("h2", { id: "sec-verify" }, t("verify_chain")), verify, verifyOut),
    h("section.card", { "aria-labelledby": "sec-reviews" }, h("h2", { id: "sec-reviews" }, t("access_reviews")),
      (reviews.items || []).length === 0 ? h("p", null, sv() ? "Inga granskningar." : "No reviews.") :
        h("table", null, h("caption.sr-only", null, t("access_reviews")),
          h("thead", null, h("tr", null, [sv() ? "Period" : "Period", sv() ? "Poster" : "Entries", sv() ? "Oavgjorda" : "Undecided", t("status"), sv() ? "Åtgärd" : "Action"].map((x) => h("th", { scope: "col" }, x)))),
          h("tbody", null, reviews.items.map((r) => h("tr", null,
            h("td", null, `${fmtDate(r.period_start)} – ${fmtDate(r.period_end)}`),
            h("td", null, String(r.entries)), h("td", null, String(r.undecided)),
            h("td", null, r.status === "signed_off" ? (sv() ? "Avslutad" : "Signed off") : (sv() ? "Öppen" : "Open")),
            h("td", null, h("button.secondary", { type: "button", onclick: () => openReview(detail, r.id) }, sv() ? "Öppna" : "Open")))))),
      detail),
    extractSection());
}

async function openReview(out, id) {
  const r = await api.get(`/access-reviews/${id}`);
  mount(out, h("h3", { tabindex: "-1" }, `${fmtDate(r.period_start)} – ${fmtDate(r.period_end)}`),
    h("ul.commitments", null, (r.items || []).map((e) => h("li.card.inner", null,
      h("p", null, `${fmtDateTime(e.at)} · ${e.actor_role} · ${e.operation} · ${e.reasons.join(", ")}`),
      e.verdict ? h("p", null, h("strong", null, e.verdict), e.comment ? ` – ${e.comment}` : null) :
        form(null, [
          field("verdict", sv() ? "Bedömning" : "Verdict", { kind: "select", options: [["ok", "OK"], ["question", sv() ? "Fråga" : "Question"], ["incident", sv() ? "Incident" : "Incident"]] }),
          field("comment", sv() ? "Kommentar" : "Comment"),
        ], sv() ? "Spara" : "Save", async (v) => {
          await api.post(`/access-reviews/${id}/entries/${e.id}/verdict`, { verdict: v.verdict, comment: v.comment });
          await openReview(out, id);
        }, { class: "form inline" })))),
    r.status === "open" ? h("button.primary", { type: "button", onclick: async () => {
      await api.post(`/access-reviews/${id}/sign-off`, undefined);
      await openReview(out, id);
    } }, sv() ? "Signera granskningen" : "Sign off the review") : null);
  out.querySelector("h3").focus();
}

function extractSection() {
  const out = h("div");
  const f = form(null, [field("personnummer", t("member_pnr"), { required: true, hint: "ÅÅÅÅMMDD-NNNN" })],
    sv() ? "Ta fram registerutdrag" : "Produce the access extract", async (v, _f, status) => {
      const r = await api.post("/persons/access-extract", { personnummer: v.personnummer });
      say(status, t("saved"), "ok");
      mount(out, tree(r));
    });
  return h("section.card", { "aria-labelledby": "sec-extract" },
    h("h2", { id: "sec-extract" }, sv() ? "Registerutdrag (GDPR art. 15)" : "Access extract (GDPR art. 15)"), f, out);
}

/** Any JSON value as nested lists, as text. */
function tree(v) {
  if (Array.isArray(v)) return h("ol", null, v.map((x) => h("li", null, tree(x))));
  if (v && typeof v === "object") {
    return h("dl.tree", null, Object.entries(v).map(([k, x]) => [h("dt", null, k.replaceAll("_", " ")), h("dd", null, tree(x))]));
  }
  return v === null ? "–" : String(v);
}
