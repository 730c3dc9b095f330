// Supervisor: the escalation list and the rent commitments to decide (the unit's worklist is the
// worklist screen, which the API scopes to the supervisor's unit).

import * as api from "../api.js";
import { h, mount } from "../dom.js";
import { t, label, fmtMoney } from "../i18n.js";
import { worklistTable, caseRef } from "./worklist.js";

export async function renderEscalations(main) {
  mount(main, h("h1", null, t("escalations_title")), h("p", null, t("loading")));
  const page = await api.get("/worklist");
  mount(main, h("h1", null, t("escalations_title")),
    page.escalation.length ? worklistTable(page.escalation, t("escalations_title")) : h("p", null, t("worklist_empty")));
}

/** Pending rent commitments of the unit's cases that have a deadline (a commitment answers a
 * reinstatement period) or whose worklist bucket says one is waiting. */
export async function renderDecisions(main) {
  mount(main, h("h1", null, t("decisions_title")), h("p", null, t("loading")));
  const page = await api.get("/worklist?limit=100");
  const waiting = [...page.items, ...page.escalation].filter((i) => i.bucket === "commitment_pending" || i.next_deadline);
  const seen = new Set();
  const rows = [];
  await Promise.all(waiting.filter((i) => !seen.has(i.case_id) && seen.add(i.case_id)).map(async (i) => {
    const list = await api.get(`/cases/${i.case_id}/rent-commitments`);
    for (const rc of list.items) if (rc.status === "pending") rows.push([i, rc]);
  }));
  mount(main, h("h1", null, t("decisions_title")),
    h("section.card", { "aria-labelledby": "sec-rc-pending" }, h("h2", { id: "sec-rc-pending" }, t("commitments_pending")),
      rows.length === 0 ? h("p", null, t("nothing_pending")) :
        h("ul.commitments", null, rows.map(([i, rc]) => h("li.card.inner", null,
          h("p", null, h("a", { href: `#/cases/${i.case_id}` }, `${t("case_ref")} ${caseRef(i.case_id)}`),
            i.children_involved ? [" ", h("span.tag.children", null, t("children_yes"))] : null),
          h("p", null, `${fmtMoney(rc.amount)} · ${rc.months_covered} ${t("months").toLowerCase()} · ${label("rc_status", rc.status)}`),
          h("p", null, rc.reason))))));
}
