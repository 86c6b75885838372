// Pieces several pages share: problem boxes, findings tables, pagers, contract links.

import {ApiError} from "./api.js";
import {badge, dotted, h, prose, table} from "./dom.js";

const HINTS = {
  0: "Check that the registry service is running.",
  401: "Paste a token in the “API token” field at the top (telemetry-contracts token create).",
  403: "Your token's role or namespaces do not allow this.",
  409: "The proposal is no longer in a state that allows this; reload to see its status.",
  412: "Someone changed it meanwhile; reload and try again.",
};

/** An alert box for a failed call: status, title, detail, what to do, and any findings. */
export function problemBox(error, what = "The request failed") {
  if (!(error instanceof ApiError)) {
    return h("div", {class: "problem", role: "alert"}, h("p", {}, `${what}: ${error}`));
  }
  const problem = error.problem;
  const status = error.status ? `${error.status} ` : "";
  const hint = HINTS[error.status];
  const breaking = Array.isArray(problem.breaking) ? problem.breaking : [];
  return h("div", {class: "problem", role: "alert", "data-status": error.status},
    h("p", {class: "problem-title"}, `${what}: `, h("strong", {}, `${status}${problem.title || "Error"}`)),
    problem.detail ? h("p", {class: "problem-detail"}, prose(problem.detail)) : null,
    problem.from_state ? h("p", {}, `Lifecycle: ${problem.from_state} → ${problem.to_state}`) : null,
    hint ? h("p", {class: "problem-hint"}, hint) : null,
    error.findings.length ? findingsTable(error.findings, "Findings") : null,
    breaking.length ? changesList(breaking, "Breaking changes") : null);
}

/** The rule findings of a proposal: code, severity, message, subject, hint. */
export function findingsTable(findings, caption = "Validation findings") {
  if (!findings.length) return h("p", {class: "ok"}, "No findings: the contract passes every rule.");
  return table(caption, ["Code", "Severity", "Message", "Subject", "Hint"],
    findings.map((finding) => [
      h("code", {class: "finding-code"}, finding.code),
      badge(finding.severity, "severity"),
      h("span", {}, prose(finding.message)),
      finding.subject ? h("code", {}, finding.subject) : "—",
      finding.hint ? h("span", {}, prose(finding.hint)) : "—",
    ]), {class: "findings"});
}

/** Changes as the API describes them (dicts with kind/name/… keys), one line each. */
export function changesList(changes, caption) {
  return h("div", {class: "changes"},
    h("h3", {}, caption),
    h("ul", {}, changes.map((change) => h("li", {}, describeChange(change)))));
}

function describeChange(change) {
  if (!change.kind || !change.subject) return JSON.stringify(change);
  const parent = change.parent ? ` on ${change.parent}` : "";
  const what = `${change.kind} ${change.subject_kind || ""} ${change.subject}${parent}`;
  const field = change.field ? `: ${change.field} ${show(change.old)} → ${show(change.new)}` : "";
  const renamed = change.renamed_to ? ` (renamed to ${change.renamed_to})` : "";
  return `${what}${field}${renamed}`;
}

function show(value) {
  return value === null || value === undefined ? "—" : typeof value === "object" ? JSON.stringify(value) : String(value);
}

/** A link to a metric's or attribute's page. */
export function contractLink(kind, name) {
  const route = kind === "attribute" ? "attributes" : "metrics";
  return h("a", {href: `#/${route}/${encodeURIComponent(name)}`}, dotted(name));
}

/** The deprecation of a contract: reason, replacement (linked) and note. */
export function deprecationCell(deprecated, kind) {
  if (!deprecated) return "—";
  return h("span", {class: "deprecation"},
    badge("deprecated", "state"), " ",
    deprecated.renamed_to ? ["→ ", contractLink(kind, deprecated.renamed_to)] : deprecated.reason);
}

/** "Next page" / "First page" links that keep the current filters. */
export function pager(route, params, nextCursor) {
  const links = [];
  if (params.get("cursor")) {
    const first = new URLSearchParams(params);
    first.delete("cursor");
    links.push(h("a", {href: `#/${route}?${first}`, class: "button secondary"}, "First page"));
  }
  if (nextCursor) {
    const next = new URLSearchParams(params);
    next.set("cursor", nextCursor);
    links.push(h("a", {href: `#/${route}?${next}`, class: "button", rel: "next"}, "Next page"));
  }
  return links.length ? h("nav", {class: "pager", "aria-label": "Pages"}, links) : null;
}

/** A loading line for a region that is about to be filled. */
export function loading(what = "Loading…") {
  return h("p", {class: "loading", role: "status"}, what);
}
