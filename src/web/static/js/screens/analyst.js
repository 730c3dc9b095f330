// Analyst: the statistics, one SVG bar chart per series, suppressed cells drawn and labelled as
// such (never as zero), and a CSV download (the same query with Accept: text/csv, saved as a Blob).

import * as api from "../api.js";
import { h, mount, svg } from "../dom.js";
import { t, currentLang, swedishToday, isoDate } from "../i18n.js";
import { field, form } from "../forms.js";

const KEYS = new Set(["period", "level", "county_code", "municipality_code", "unit_id", "suppressed"]);

function query(v) {
  return `?from=${v.from}&to=${v.to}&period=${v.period}&group_by=municipality`;
}

/** The series shown first; the others are behind a disclosure. */
const MAIN = ["social_notices_received", "reinstatement_periods", "contacted_before_reinstatement_end",
  "share_contacted_before_reinstatement_end", "median_days_to_first_contact", "rent_commitments_issued",
  "rent_commitment_amount", "closures", "repeat_signals_12m"];

/** The first day of the Swedish month `monthsBack` months before this one. */
function monthStart(monthsBack) {
  const [y, m] = swedishToday();
  const x = new Date(Date.UTC(y, m - 1 - monthsBack, 1));
  return isoDate(x.getUTCFullYear(), x.getUTCMonth() + 1, 1);
}

/** The last day of this Swedish month. */
function monthEnd() {
  const [y, m] = swedishToday();
  const x = new Date(Date.UTC(y, m, 0));
  return isoDate(x.getUTCFullYear(), x.getUTCMonth() + 1, x.getUTCDate());
}

export async function renderStats(main) {
  const out = h("div");
  const f = form(null, [
    field("dataset", t("kind"), { kind: "select", value: "prevention", options: [["prevention", t("stats_prevention")], ["enforcement", t("stats_enforcement")]] }),
    field("from", currentLang() === "sv" ? "Från (första dagen i en period)" : "From (first day of a period)", { kind: "date", value: monthStart(11), required: true }),
    field("to", currentLang() === "sv" ? "Till (sista dagen i en period)" : "To (last day of a period)", { kind: "date", value: monthEnd(), required: true }),
    field("period", currentLang() === "sv" ? "Period" : "Period", { kind: "select", value: "month", options: [["month", "månad / month"], ["quarter", "kvartal / quarter"], ["half_year", "halvår / half year"], ["year", "år / year"]] }),
  ], currentLang() === "sv" ? "Visa" : "Show", async (v) => {
    const data = await api.get(`/stats/${v.dataset}${query(v)}`);
    draw(out, data, v);
  }, { class: "card form inline" });
  f.id = "stats-form";
  mount(main, h("h1", null, t("stats_title")), h("p.lead", null, t("suppressed_note")), f, out);
  f.requestSubmit();
}

function draw(out, data, v) {
  const rows = data.rows || [];
  const series = [...new Set(rows.flatMap((r) => Object.keys(r).filter((k) => !KEYS.has(k))))];
  const download = h("button.secondary", { type: "button", onclick: () => csv(v) }, t("download_csv"));
  const first = series.filter((s) => MAIN.includes(s));
  const rest = series.filter((s) => !MAIN.includes(s));
  mount(out, h("p", null, download), h("div.charts", null, first.map((s) => chart(s, rows))),
    rest.length ? h("details.more", null, h("summary", null, currentLang() === "sv" ? `Alla serier (${rest.length} till)` : `All series (${rest.length} more)`),
      h("div.charts", null, rest.map((s) => chart(s, rows)))) : null);
}

async function csv(v) {
  const res = await api.request("GET", `/stats/${v.dataset}${query(v)}`, { accept: "text/csv", raw: true });
  const url = URL.createObjectURL(res.data);
  const a = h("a", { href: url, download: `kvar-${v.dataset}-${v.from}-${v.to}.csv`, hidden: true });
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

function chart(name, rows) {
  const values = rows.map((r) => ({ period: r.period, value: r[name], suppressed: (r.suppressed || []).includes(name) }));
  const max = Math.max(1, ...values.map((x) => Number(x.value) || 0));
  const W = 640, H = 220, pad = 36, bw = Math.max(8, Math.min(48, (W - pad * 2) / Math.max(values.length, 1) - 8));
  const id = `chart-${name}`;
  const bars = values.map((x, i) => {
    const X = pad + i * (bw + 8);
    const label = svg("text", { x: X + bw / 2, y: H - 8, "text-anchor": "middle", text: x.period });
    if (x.suppressed) {
      return [svg("rect", { class: "suppressed-bar", x: X, y: H - pad - 30, width: bw, height: 30 }),
        svg("text", { x: X + bw / 2, y: H - pad - 36, "text-anchor": "middle", text: t("suppressed_short") }), label];
    }
    if (x.value === null || x.value === undefined) {
      return [svg("text", { x: X + bw / 2, y: H - pad - 4, "text-anchor": "middle", text: "·" }), label];
    }
    const bh = ((Number(x.value) || 0) / max) * (H - pad * 2);
    return [svg("rect", { class: "bar", x: X, y: H - pad - bh, width: bw, height: Math.max(bh, 1) }),
      svg("text", { x: X + bw / 2, y: H - pad - bh - 4, "text-anchor": "middle", text: fmt(x.value) }), label];
  }).flat();
  const pic = svg("svg", { viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: "img", "aria-labelledby": `${id}-t` },
    svg("title", { id: `${id}-t`, text: seriesName(name) }),
    svg("line", { class: "axis", x1: pad, y1: H - pad, x2: W - pad / 2, y2: H - pad }), ...bars);
  // The same figures as a table, for screen readers and for reading exact values.
  const table = h("table.sr-only", null, h("caption", null, seriesName(name)),
    h("tbody", null, values.map((x) => h("tr", null, h("th", { scope: "row" }, x.period),
      h("td", null, x.suppressed ? t("suppressed") : fmt(x.value))))));
  return h("figure.chart", null, h("figcaption", null, h("strong", null, seriesName(name)),
    values.some((x) => x.suppressed) ? h("span.muted", null, ` (${t("suppressed_legend")})`) : null), pic, table);
}

function fmt(v) {
  if (v === null || v === undefined) return "";
  const n = Number(v);
  return Number.isInteger(n) ? String(n) : n.toFixed(2);
}

const NAMES = {
  sv: {
    social_notices_received: "Underrättelser (formulär 3) mottagna", reinstatement_periods: "Återvinningsfrister",
    contacted_before_reinstatement_end: "Kontakt före fristens slut", share_contacted_before_reinstatement_end: "Andel med kontakt före fristens slut (%)",
    median_days_to_first_contact: "Mediandagar till första kontakt", rent_commitments_issued: "Hyresförbindelser utfärdade",
    rent_commitment_amount: "Hyresförbindelser, belopp (kr)", closures: "Avslutade ärenden", repeat_signals_12m: "Nya signaler inom 12 månader",
  },
  en: {
    social_notices_received: "Notices (formulär 3) received", reinstatement_periods: "Reinstatement periods",
    contacted_before_reinstatement_end: "Contacted before the period's end", share_contacted_before_reinstatement_end: "Share contacted before the period's end (%)",
    median_days_to_first_contact: "Median days to first contact", rent_commitments_issued: "Rent commitments issued",
    rent_commitment_amount: "Rent commitments, amount (SEK)", closures: "Closed cases", repeat_signals_12m: "New signals within 12 months",
  },
};

function seriesName(name) {
  return NAMES[currentLang()][name] || name.replaceAll("_", " ");
}
