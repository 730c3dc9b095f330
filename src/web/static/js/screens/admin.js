// Admin: organizations, their units, users and integration clients; create a user.

import * as api from "../api.js";
import { h, mount } from "../dom.js";
import { t, label, fmtDateTime, codes, currentLang } from "../i18n.js";
import { field, form } from "../forms.js";
import { session } from "../session.js";

function table(caption, head, rows) {
  return h("table", null, h("caption", null, caption),
    h("thead", null, h("tr", null, head.map((x) => h("th", { scope: "col" }, x)))),
    h("tbody", null, rows.map((r) => h("tr", null, r.map((c) => h("td", null, c))))));
}

export async function renderAdmin(main) {
  const sv = currentLang() === "sv";
  const [orgs, users, clients] = await Promise.all([
    api.get("/organizations"), api.get("/users?limit=100"), api.get("/integration-clients"),
  ]);
  const own = session.me.organization.id;
  const units = await api.get(`/organizations/${own}/units`).catch(() => ({ items: [] }));
  const unitName = new Map((units.items || []).map((u) => [u.id, u.name]));
  const userForm = form(sv ? "Ny användare" : "New user", [
    field("username", t("username"), { required: true }),
    field("display_name", t("name"), { required: true }),
    field("role", t("role"), { kind: "select", required: true, value: "caseworker", options: codes("role").map((r) => [r, label("role", r)]) }),
    field("unit_id", t("unit"), { kind: "select", options: [["", "–"], ...(units.items || []).map((u) => [u.id, u.name])] }),
    field("password", t("password"), { kind: "password", required: true, autocomplete: "new-password" }),
  ], sv ? "Skapa" : "Create", async (v) => {
    await api.post("/users", { ...v, organization_id: own, unit_id: v.unit_id || null });
    await renderAdmin(main);
  }, { class: "card form", headingLevel: "h2" });
  mount(main, h("h1", null, t("admin_title")),
    h("section.card", null, table(t("organizations"), [t("name"), t("kind"), t("municipality_code")],
      (orgs.items || []).map((o) => [o.name, o.kind, o.municipality_code || "–"]))),
    h("section.card", null, table(t("units"), [t("name")], (units.items || []).map((u) => [u.name]))),
    h("section.card", null, table(t("users"), [t("username"), t("name"), t("role"), t("unit"), t("status"), sv ? "Senast inloggad" : "Last sign-in"],
      (users.items || []).map((u) => [u.username, u.display_name, label("role", u.role), unitName.get(u.unit_id) || "–", u.status,
        u.last_login_at ? fmtDateTime(u.last_login_at) : "–"])), userForm),
    h("section.card", null, table(t("integration_clients"), [t("name"), "client_id", sv ? "Behörigheter" : "Scopes", t("status")],
      (clients.items || []).map((c) => [c.name, c.client_id, c.scopes.join(", "), c.status]))));
}
