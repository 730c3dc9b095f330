// The shell: header, navigation by role, the language switch, the router (URL fragment) and the
// session's expiry (back to sign-in, keeping drafts in memory).

import * as api from "./api.js";
import { h, mount } from "./dom.js";
import { t, label, setLang, currentLang, onLangChange } from "./i18n.js";
import { session, expire, signOut, role } from "./session.js";
import { renderSignIn } from "./screens/signin.js";
import { renderWorklist } from "./screens/worklist.js";
import { renderCase } from "./screens/case.js";
import { renderDecisions, renderEscalations } from "./screens/supervisor.js";
import * as landlord from "./screens/landlord.js";
import { renderStats } from "./screens/analyst.js";
import { renderAudit } from "./screens/auditor.js";
import { renderAdmin } from "./screens/admin.js";

const root = document.getElementById("app");
let expiredNotice = false;

/** Screens by route; each lists the roles that may open it. */
const routes = [
  [/^\/?$/, null, (main) => renderHome(main)],
  [/^\/worklist$/, ["caseworker", "supervisor"], (main) => renderWorklist(main)],
  [/^\/escalations$/, ["caseworker", "supervisor"], (main) => renderEscalations(main)],
  [/^\/decisions$/, ["supervisor"], (main) => renderDecisions(main)],
  [/^\/cases\/([\w-]+)$/, ["caseworker", "supervisor"], (main, m) => renderCase(main, m[1])],
  [/^\/landlord\/notice$/, ["landlord"], (main) => landlord.renderNotice(main)],
  [/^\/landlord\/arrears$/, ["landlord"], (main) => landlord.renderArrears(main)],
  [/^\/landlord\/receipts$/, ["landlord"], (main) => landlord.renderReceipts(main)],
  [/^\/landlord\/commitments$/, ["landlord"], (main) => landlord.renderCommitments(main)],
  [/^\/stats$/, ["analyst"], (main) => renderStats(main)],
  [/^\/audit$/, ["auditor"], (main) => renderAudit(main)],
  [/^\/admin$/, ["admin"], (main) => renderAdmin(main)],
];

const navByRole = {
  caseworker: [["#/worklist", "nav_worklist"], ["#/escalations", "nav_escalations"]],
  supervisor: [["#/worklist", "nav_unit"], ["#/escalations", "nav_escalations"], ["#/decisions", "nav_decisions"]],
  landlord: [["#/landlord/notice", "nav_landlord_notice"], ["#/landlord/arrears", "nav_landlord_arrears"],
    ["#/landlord/receipts", "nav_landlord_receipts"], ["#/landlord/commitments", "nav_landlord_commitments"]],
  analyst: [["#/stats", "nav_stats"]],
  auditor: [["#/audit", "nav_audit"]],
  admin: [["#/admin", "nav_admin"]],
};

const homeByRole = {
  caseworker: "#/worklist", supervisor: "#/worklist", landlord: "#/landlord/notice",
  analyst: "#/stats", auditor: "#/audit", admin: "#/admin",
};

function renderHome() {
  location.replace(homeByRole[role()] || "#/");
}

function currentPath() {
  return decodeURIComponent(location.hash.replace(/^#/, "")) || "/";
}

function langButton() {
  return h("button.link.lang", {
    type: "button", lang: currentLang() === "sv" ? "en" : "sv", "aria-label": t("lang_switch_label"),
    onclick: () => setLang(currentLang() === "sv" ? "en" : "sv"),
  }, t("lang_switch"));
}

function shell() {
  const path = currentPath();
  const links = (navByRole[role()] || []).map(([href, key]) => {
    const current = `#${path}` === href || (href === "#/worklist" && path.startsWith("/cases/"));
    return h("li", null, h("a", { href, "aria-current": current ? "page" : null }, t(key)));
  });
  const main = h("main", { id: "main", tabindex: "-1" });
  const header = h("header.top", null,
    h("div.brand", null, h("a.logo", { href: "#/" }, t("app_name")), h("span.tagline", null, t("app_tagline"))),
    h("nav", { "aria-label": t("nav_label") }, h("ul.nav", null, links)),
    h("div.who", null,
      h("span.user", null, `${session.me.display_name} · ${label("role", session.me.role)} · ${session.me.organization.name}`),
      langButton(),
      h("button.secondary", { type: "button", onclick: doSignOut }, t("signout"))));
  mount(root, h("a.skip", { href: "#main", onclick: skip }, t("skip")), header, main);
  return main;
}

function skip(ev) {
  ev.preventDefault();
  document.getElementById("main")?.focus();
}

async function doSignOut() {
  await signOut();
  expiredNotice = false;
  location.hash = "#/";
  render();
}

export async function render() {
  document.documentElement.lang = currentLang();
  if (!session.me) {
    document.title = `${t("signin_title")} – kvar`;
    mount(root, h("a.skip", { href: "#main", onclick: skip }, t("skip")),
      h("header.top", null, h("div.brand", null, h("span.logo", null, t("app_name")),
        h("span.tagline", null, t("app_tagline"))), h("div.who", null, langButton())),
      renderSignIn(expiredNotice, () => {
        expiredNotice = false;
        render();
      }));
    return;
  }
  const main = shell();
  const path = currentPath();
  for (const [re, roles, screen] of routes) {
    const m = path.match(re);
    if (!m) continue;
    if (roles && !roles.includes(role())) break;
    try {
      await screen(main, m);
    } catch (err) {
      if (err && err.status === 401) return;
      showFailure(main, err);
    }
    focusHeading(main);
    return;
  }
  showFailure(main, { status: 404 });
  focusHeading(main);
}

function showFailure(main, err) {
  const notFound = err && (err.status === 404 || err.status === 403);
  document.title = "kvar";
  mount(main, h("h1", null, notFound ? t("not_found") : t("error_generic")),
    err && err.message && !notFound ? h("p", null, err.message) : null,
    h("p", null, h("a", { href: "#/" }, t("back_to_start"))));
}

let firstRender = true;
function focusHeading(main) {
  const h1 = main.querySelector("h1");
  if (h1) {
    document.title = `${h1.textContent} – kvar`;
    if (!firstRender) {
      h1.setAttribute("tabindex", "-1");
      h1.focus();
    }
  }
  firstRender = false;
}

api.setExpiredHandler(() => {
  if (!session.me) return;
  expire();
  expiredNotice = true;
  render();
});

window.addEventListener("hashchange", () => render());
onLangChange(() => render());
render();
