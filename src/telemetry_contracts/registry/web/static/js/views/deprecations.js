// The deprecation report: what is deprecated, its replacement, its sunset, and who still emits it.

import {api} from "../api.js";
import {badge, field, h, replace, select, table, time} from "../dom.js";
import {contractLink, loading, pager, problemBox} from "../widgets.js";

export async function renderDeprecations(view, params) {
  const form = h("form", {class: "filters", role: "search", "aria-label": "Filter the report"},
    field("Name starts with", h("input", {name: "prefix", type: "search", value: params.get("prefix") || "",
      placeholder: "http.", spellcheck: "false"})),
    field("Safe to remove", select("safe_to_remove",
      [["", "any"], ["false", "no: still emitted"], ["true", "yes: nobody seen"]], params.get("safe_to_remove") || "")),
    h("div", {class: "field actions"}, h("button", {type: "submit"}, "Filter")));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const query = new URLSearchParams();
    for (const [name, value] of new FormData(form)) if (value) query.set(name, String(value).trim());
    window.location.hash = `#/deprecations?${query}`;
  });
  const body = h("section", {"aria-label": "Report"}, loading());
  replace(view, h("h1", {}, "Deprecation report"),
    h("p", {class: "lead"}, "Every deprecated metric and attribute, its replacement and sunset date, and the " +
      "services the runtime guard still sees emitting it. A contract nobody emitted within the usage window is safe to remove."),
    form, body);
  try {
    const query = {limit: 100};
    for (const name of ["prefix", "safe_to_remove", "cursor"]) query[name] = params.get(name);
    const report = await api("GET", "reports/deprecations", {query});
    const caption = `Version ${report.version}: ${report.items.length} deprecated contracts` +
      `${report.next_cursor ? " on this page" : ""} (usage window ${report.window_days} days)`;
    replace(body,
      report.items.length ? table(caption,
        ["Name", "Kind", "State", "Replacement", "Sunset", "Still emitted by", "Last seen", "Safe to remove"],
        report.items.map(row), {id: "deprecations-table", class: "report"})
        : h("p", {class: "empty"}, "Nothing is deprecated."),
      pager("deprecations", params, report.next_cursor));
  } catch (error) {
    replace(body, problemBox(error, "Could not read the deprecation report"));
  }
}

function row(entry) {
  return [
    contractLink(entry.kind, entry.name),
    entry.kind,
    badge(entry.state, "state"),
    entry.renamed_to ? contractLink(entry.kind, entry.renamed_to) : h("span", {class: "muted"}, entry.reason),
    entry.sunset ? h("time", {datetime: entry.sunset}, entry.sunset) : "—",
    entry.emitters.length
      ? h("ul", {class: "emitters"}, entry.emitters.map((emitter) => h("li", {},
        h("strong", {}, emitter.service), ` — ${emitter.count.toLocaleString()} · last `, time(emitter.last_seen))))
      : h("span", {class: "muted"}, "nobody"),
    time(entry.last_seen),
    entry.safe_to_remove ? badge("yes", "safe") : badge("no", "unsafe"),
  ];
}
