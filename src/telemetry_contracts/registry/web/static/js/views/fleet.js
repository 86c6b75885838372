// Shadow telemetry (names the guards saw that the registry does not know) and fleet state
// (which snapshot version each reporting service enforces).

import {api} from "../api.js";
import {badge, h, replace, table, time} from "../dom.js";
import {loading, pager, problemBox} from "../widgets.js";

export async function renderUnknown(view, params) {
  const body = h("section", {"aria-label": "Unknown names"}, loading());
  replace(view, h("h1", {}, "Unknown names"),
    h("p", {class: "lead"}, "Names the runtime guards saw that the registry does not define (TC801 metrics, " +
      "TC802 attributes), per service, most seen first: register them or stop emitting them."),
    body);
  try {
    const page = await api("GET", "reports/unknown", {query: {limit: 200, cursor: params.get("cursor")}});
    replace(body, page.items.length
      ? table(`${page.items.length} unknown names${page.next_cursor ? " on this page" : ""}`,
        ["Name", "Signal", "Rule", "Service", "Count", "First seen", "Last seen"],
        page.items.map((item) => [h("code", {}, item.name), item.signal, badge(item.rule, "rule"),
          item.service, h("span", {class: "number", "data-count": item.count}, item.count.toLocaleString()),
          time(item.first_seen), time(item.last_seen)]),
        {id: "unknown-table", class: "report"})
      : h("p", {class: "empty"}, "No guard reported a name the registry does not know."),
    pager("unknown", params, page.next_cursor));
  } catch (error) {
    replace(body, problemBox(error, "Could not read the unknown names"));
  }
}

export async function renderServices(view, params) {
  const body = h("section", {"aria-label": "Reporting services"}, loading());
  replace(view, h("h1", {}, "Services"),
    h("p", {class: "lead"}, "Every service whose guard reports usage: the registry version it enforces, " +
      "how far behind the latest that is, and when it last reported."),
    body);
  try {
    const page = await api("GET", "reports/services", {query: {limit: 200, cursor: params.get("cursor")}});
    replace(body, page.items.length
      ? table(`${page.items.length} services${page.next_cursor ? " on this page" : ""} (latest version ` +
        `${page.items[0].latest_version})`,
        ["Service", "Instance", "Enforces", "Behind", "Last report", "Reporting since", "Reports"],
        page.items.map((item) => [h("strong", {}, item.service), item.instance || "—",
          item.version ? h("code", {}, item.version)
            : h("span", {class: "muted", title: item.snapshot_hash || ""}, item.snapshot_hash ? "a snapshot not published here" : "not said"),
          item.versions_behind === null ? "—"
            : badge(item.versions_behind === 0 ? "current" : `${item.versions_behind} behind`,
              item.versions_behind === 0 ? "safe" : "unsafe"),
          time(item.last_report), time(item.reported_since), item.reports.toLocaleString()]),
        {id: "services-table", class: "report"})
      : h("p", {class: "empty"}, "No service has reported usage yet."),
    pager("services", params, page.next_cursor));
  } catch (error) {
    replace(body, problemBox(error, "Could not read the services"));
  }
}
