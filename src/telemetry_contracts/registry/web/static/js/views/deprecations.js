// The deprecation report: what is deprecated, its replacement and sunset, who still emits it
// (with a sparkline per emitter), a burn-down of deprecated usage and the top emitters.

import {api} from "../api.js";
import {badge, field, h, replace, select, table, time} from "../dom.js";
import {barChart, burnDown, sparkline} from "../charts.js";
import {contractLink, loading, problemBox} from "../widgets.js";

const VERDICTS = [["", "any"], ["no", "no: still emitted"], ["yes", "yes: nobody emitted it"],
  ["unknown", "unknown: not enough reports"]];
const SORTS = [["name", "name"], ["owner", "owner"], ["sunset", "sunset (soonest first)"],
  ["count", "usage in the window (most first)"]];
const MAX_PAGES = 50;

export async function renderDeprecations(view, params) {
  const form = h("form", {class: "filters", role: "search", "aria-label": "Filter the report"},
    field("Name contains", h("input", {name: "name", type: "search", value: params.get("name") || "",
      placeholder: "http.", spellcheck: "false"})),
    field("Owner", h("input", {name: "owner", type: "search", value: params.get("owner") || "", spellcheck: "false"})),
    field("Sunset before", h("input", {name: "sunset_before", type: "date", value: params.get("sunset_before") || ""})),
    field("Used at least", h("input", {name: "min_count", type: "number", min: 0, value: params.get("min_count") || ""})),
    field("Safe to remove", select("safe_to_remove", VERDICTS, params.get("safe_to_remove") || "")),
    field("Sort by", select("sort", SORTS, params.get("sort") || "name")),
    h("div", {class: "field actions"}, h("button", {type: "submit"}, "Apply")));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const query = new URLSearchParams();
    for (const [name, value] of new FormData(form)) if (value) query.set(name, String(value).trim());
    window.location.hash = `#/deprecations?${query}`;
  });
  const body = h("section", {"aria-label": "Report"}, loading());
  replace(view, h("h1", {}, "Deprecation report"),
    h("p", {class: "lead"}, "Every deprecated metric and attribute, its replacement and sunset date, and the " +
      "services the runtime guard still sees emitting it. Safe to remove is yes only when every service that " +
      "reports usage covered the whole window and none emitted the name; unknown when nobody reported for long enough."),
    form, body);
  try {
    const report = await wholeReport(params.get("safe_to_remove"));
    const entries = sorted(filtered(report.items, params), params.get("sort") || "name");
    replace(body, summary(report, entries), charts(report, entries),
      entries.length ? table(`Version ${report.version}: ${entries.length} of ${report.items.length} deprecated contracts ` +
        `(usage window ${report.window_days} days)`,
      ["Name", "Kind", "Owner", "Replacement", "Sunset", "In the window", "Still emitted by", "Last seen", "Safe to remove"],
      entries.map(row), {id: "deprecations-table", class: "report"})
        : h("p", {class: "empty"}, report.items.length ? "No deprecated contract matches." : "Nothing is deprecated."));
  } catch (error) {
    replace(body, problemBox(error, "Could not read the deprecation report"));
  }
}

/** Every page of the report (the charts and the sorting need all of it). */
async function wholeReport(verdict) {
  let report = null;
  let cursor = null;
  for (let page = 0; page < MAX_PAGES; page++) {
    const next = await api("GET", "reports/deprecations", {query: {limit: 1000, cursor, safe_to_remove: verdict}});
    if (report) report.items.push(...next.items);
    else report = next;
    cursor = next.next_cursor;
    if (!cursor) break;
  }
  return report;
}

function filtered(items, params) {
  const name = (params.get("name") || "").toLowerCase();
  const owner = (params.get("owner") || "").toLowerCase();
  const before = params.get("sunset_before");
  const least = Number(params.get("min_count") || 0);
  return items.filter((entry) => (!name || entry.name.toLowerCase().includes(name))
    && (!owner || (entry.owner || "").toLowerCase().includes(owner))
    && (!before || (entry.sunset && entry.sunset < before))
    && entry.window_count >= least);
}

function sorted(items, by) {
  const key = {
    name: (a, b) => a.name.localeCompare(b.name),
    owner: (a, b) => (a.owner || "\uffff").localeCompare(b.owner || "\uffff") || a.name.localeCompare(b.name),
    sunset: (a, b) => (a.sunset || "9999").localeCompare(b.sunset || "9999") || a.name.localeCompare(b.name),
    count: (a, b) => b.window_count - a.window_count || a.name.localeCompare(b.name),
  }[by] || ((a, b) => a.name.localeCompare(b.name));
  return [...items].sort(key);
}

function summary(report, entries) {
  const counts = {yes: 0, no: 0, unknown: 0};
  for (const entry of entries) counts[entry.safe_to_remove] += 1;
  return h("p", {class: "report-summary", id: "report-summary"},
    `${report.reporting_services} services reported in the last ${report.window_days} days; `,
    `${report.covering_services} of them for the whole window. `,
    badge(`${counts.no} still emitted`, "unsafe"), " ", badge(`${counts.yes} safe to remove`, "safe"), " ",
    badge(`${counts.unknown} unknown`, "unknown"));
}

function charts(report, entries) {
  const daily = report.days.map((_, index) => entries.reduce((sum, entry) => sum + entry.daily[index], 0));
  const perService = new Map();
  for (const entry of entries) {
    for (const emitter of entry.emitters) {
      const used = emitter.daily.reduce((a, b) => a + b, 0);
      perService.set(emitter.service, (perService.get(emitter.service) || 0) + used);
    }
  }
  const top = [...perService].filter(([, value]) => value > 0)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, 10);
  return h("div", {class: "charts"},
    h("figure", {}, h("figcaption", {}, "Deprecated usage per day (burn-down)"), burnDown(report.days, daily)),
    h("figure", {}, h("figcaption", {}, "Top emitters of deprecated names in the window"),
      top.length ? barChart(top, "Top emitters of deprecated names") : h("p", {class: "empty"}, "Nobody emitted a deprecated name in the window.")));
}

const VERDICT_STYLE = {yes: "safe", no: "unsafe", unknown: "unknown"};

function row(entry) {
  return [
    contractLink(entry.kind, entry.name),
    entry.kind,
    entry.owner || h("span", {class: "muted"}, "—"),
    entry.renamed_to ? contractLink(entry.kind, entry.renamed_to) : h("span", {class: "muted"}, entry.reason),
    entry.sunset ? h("time", {datetime: entry.sunset}, entry.sunset) : "—",
    h("span", {class: "number", "data-count": entry.window_count}, entry.window_count.toLocaleString()),
    entry.emitters.length
      ? h("ul", {class: "emitters"}, entry.emitters.map((emitter) => h("li", {"data-service": emitter.service},
        sparkline(emitter.daily, `${emitter.service} emitting ${entry.name}`), " ",
        h("strong", {}, emitter.service), ` — ${emitter.count.toLocaleString()} · last `, time(emitter.last_seen))))
      : h("span", {class: "muted"}, "nobody"),
    time(entry.last_seen),
    badge(entry.safe_to_remove, VERDICT_STYLE[entry.safe_to_remove]),
  ];
}
