// Browse and search metrics and attributes; one contract's page.

import {api, segment} from "../api.js";
import {append, badge, field, h, replace, select, table} from "../dom.js";
import {contractLink, deprecationCell, loading, pager, problemBox} from "../widgets.js";

const STABILITIES = [["", "any"], "stable", "release_candidate", "beta", "alpha", "development", "deprecated"];
const PAGE_SIZE = 50;

const KINDS = {
  metric: {
    route: "metrics", path: "metrics", title: "Metrics",
    headers: ["Name", "Instrument", "Unit", "Stability", "Deprecation", "Brief"],
    row: (m) => [contractLink("metric", m.name), m.instrument, h("code", {class: "unit"}, m.unit || "—"),
      badge(m.stability, "stability"), deprecationCell(m.deprecated, "metric"), m.brief || ""],
  },
  attribute: {
    route: "attributes", path: "attributes", title: "Attributes",
    headers: ["Key", "Type", "Stability", "Deprecation", "Brief"],
    row: (a) => [contractLink("attribute", a.key), h("code", {}, a.type),
      badge(a.stability, "stability"), deprecationCell(a.deprecated, "attribute"), a.brief || ""],
  },
};

/** The searchable list of metrics or attributes of a version. */
export async function renderList(view, kind, params) {
  const spec = KINDS[kind];
  const versions = await versionNumbers();
  const form = h("form", {class: "filters", role: "search", "aria-label": `Search ${spec.title.toLowerCase()}`},
    field("Name starts with", h("input", {name: "prefix", type: "search", value: params.get("prefix") || "",
      placeholder: kind === "metric" ? "http.server." : "http.", spellcheck: "false"})),
    field("Stability", select("stability", STABILITIES, params.get("stability") || "")),
    field("Deprecated", select("deprecated", [["", "any"], ["false", "no"], ["true", "yes"]], params.get("deprecated") || "")),
    field("Version", select("version", [["", "latest"], ...versions], params.get("version") || "")),
    h("div", {class: "field actions"}, h("button", {type: "submit"}, "Search")));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const query = new URLSearchParams();
    for (const [name, value] of new FormData(form)) if (value) query.set(name, String(value).trim());
    window.location.hash = `#/${spec.route}?${query}`;
  });
  const results = h("section", {"aria-label": "Results"}, loading());
  replace(view, h("h1", {}, spec.title), form, results);
  const query = {limit: PAGE_SIZE};
  for (const name of ["prefix", "stability", "deprecated", "version", "cursor"]) query[name] = params.get(name);
  try {
    const page = await api("GET", spec.path, {query});
    const caption = `${page.items.length} ${spec.title.toLowerCase()}${page.next_cursor ? " on this page" : ""}`;
    replace(results,
      page.items.length ? table(caption, spec.headers, page.items.map(spec.row), {class: "contracts", id: `${kind}-table`})
        : h("p", {class: "empty"}, `No ${spec.title.toLowerCase()} match.`),
      pager(spec.route, params, page.next_cursor));
  } catch (error) {
    replace(results, problemBox(error, `Could not list ${spec.title.toLowerCase()}`));
  }
}

async function versionNumbers() {
  try {
    const page = await api("GET", "versions", {query: {limit: 1000}});
    return page.items.map((version) => version.number).reverse();
  } catch {
    return [];
  }
}

/** One metric's or attribute's page: its fields, governance and (for metrics) attributes. */
export async function renderContract(view, kind, name) {
  const spec = KINDS[kind];
  replace(view, h("p", {class: "crumbs"}, h("a", {href: `#/${spec.route}`}, spec.title), " / ", name),
    h("h1", {}, h("code", {}, name)), loading());
  let contract;
  try {
    contract = await api("GET", `${spec.path}/${segment(name)}`);
  } catch (error) {
    view.lastChild.replaceWith(problemBox(error, `Could not read ${kind} ${name}`));
    return;
  }
  view.lastChild.remove();
  const facts = kind === "metric"
    ? [["Instrument", contract.instrument], ["Unit", h("code", {}, contract.unit || "—")]]
    : [["Type", h("code", {}, contract.type)], ["Enum members", members(contract)]];
  const governance = contract.governance || {};
  append(view,
    contract.brief ? h("p", {class: "lead"}, contract.brief) : null,
    contract.note ? h("p", {class: "note"}, contract.note) : null,
    definitionList([
      ...facts,
      ["Stability", badge(contract.stability, "stability")],
      ["Deprecation", contract.deprecated ? deprecationDetail(contract.deprecated, kind) : "not deprecated"],
      ["Owner", governance.owner || "—"],
      ["Sensitivity", governance.sensitivity || "—"],
      ["Cardinality limit", governance.cardinality_limit ?? "—"],
      ["Sunset", governance.sunset || "—"],
      ["Origin", contract.origin || "this registry"],
    ]),
    kind === "metric" ? metricAttributes(contract) : null,
    contract.deprecated ? null : h("p", {class: "actions"},
      h("a", {class: "button secondary", href: `#/propose?deprecate=${encodeURIComponent(name)}`}, `Propose deprecating ${name}`)));
}

function members(attribute) {
  if (!attribute.members || !attribute.members.length) return "—";
  return h("ul", {class: "inline-list"}, attribute.members.map((member) =>
    h("li", {}, h("code", {}, String(member.value)), member.brief ? ` — ${member.brief}` : "")));
}

function deprecationDetail(deprecated, kind) {
  return h("span", {},
    badge(deprecated.reason, "reason"),
    deprecated.renamed_to ? [" replaced by ", contractLink(kind, deprecated.renamed_to)] : null,
    deprecated.note ? h("span", {class: "note"}, ` ${deprecated.note}`) : null);
}

function metricAttributes(metric) {
  if (!metric.attributes.length) return h("p", {class: "empty"}, "This metric lists no attributes.");
  return table("Attributes", ["Key", "Requirement level", "Note"],
    metric.attributes.map((ref) => [
      contractLink("attribute", ref.key),
      ref.requirement_level ? [ref.requirement_level.level,
        ref.requirement_level.condition ? ` (${ref.requirement_level.condition})` : ""] : "—",
      ref.note || "",
    ]));
}

function definitionList(pairs) {
  return h("dl", {class: "facts"}, pairs.map(([term, value]) => [h("dt", {}, term), h("dd", {}, value)]));
}
