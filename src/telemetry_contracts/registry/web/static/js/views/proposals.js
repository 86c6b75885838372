// The proposals list: review each one (approve, request changes, reject) with a comment, or withdraw it.

import {api} from "../api.js";
import {announce, badge, field, h, replace, select, table, time} from "../dom.js";
import {findingsTable, loading, pager, problemBox} from "../widgets.js";

const STATUSES = [["", "any"], "open", "changes_requested", "approved", "rejected", "withdrawn", "published"];
const DECISIONS = [
  ["approve", "Approve", ""],
  ["request_changes", "Request changes", "secondary"],
  ["reject", "Reject", "danger"],
];

export async function renderProposals(view, params) {
  const form = h("form", {class: "filters", role: "search", "aria-label": "Filter proposals"},
    field("Status", select("status", STATUSES, params.get("status") || "")),
    field("Subject starts with", h("input", {name: "subject_prefix", type: "search", value: params.get("subject_prefix") || "", spellcheck: "false"})),
    h("div", {class: "field actions"}, h("button", {type: "submit"}, "Filter")));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const query = new URLSearchParams();
    for (const [name, value] of new FormData(form)) if (value) query.set(name, String(value).trim());
    window.location.hash = `#/proposals?${query}`;
  });
  const list = h("section", {"aria-label": "Proposals"}, loading());
  replace(view, h("h1", {}, "Proposals"), form, list);
  try {
    const page = await api("GET", "proposals", {query: {
      limit: 50, status: params.get("status"), subject_prefix: params.get("subject_prefix"), cursor: params.get("cursor"),
    }});
    // Newest first reads best; the API lists oldest first.
    const items = [...page.items].reverse();
    replace(list,
      items.length ? h("ol", {class: "proposal-list"}, items.map((proposal) => h("li", {}, proposalCard(proposal))))
        : h("p", {class: "empty"}, "No proposals match."),
      pager("proposals", params, page.next_cursor));
  } catch (error) {
    replace(list, problemBox(error, "Could not list proposals"));
  }
}

/** One proposal with its change, findings, reviews and the review buttons. */
export function proposalCard(proposal) {
  const card = h("article", {class: "card proposal", id: `proposal-${proposal.id}`,
    "data-subject": proposal.subject, "data-status": proposal.status, "aria-labelledby": `proposal-${proposal.id}-title`});
  fill(card, proposal);
  return card;
}

function fill(card, proposal) {
  card.dataset.status = proposal.status;
  const reviews = h("div", {class: "reviews"});
  const history = h("details", {class: "history"}, h("summary", {}, "Reviews"), reviews);
  history.addEventListener("toggle", () => { if (history.open) loadReviews(proposal.id, reviews); });
  replace(card,
    h("header", {class: "proposal-head"},
      h("h2", {id: `proposal-${proposal.id}-title`}, `#${proposal.id} `, h("code", {}, proposal.subject)),
      badge(proposal.status, "status")),
    proposal.title ? h("p", {class: "proposal-title"}, proposal.title) : null,
    h("p", {class: "meta"},
      `${proposal.kind} · by ${proposal.author} · on version ${proposal.base_version} · `,
      `${proposal.approvals} approval${proposal.approvals === 1 ? "" : "s"} · revision ${proposal.revision} · `,
      time(proposal.created_at),
      proposal.published_version ? ` · published in ${proposal.published_version}` : ""),
    proposal.same_subject.length ? h("p", {class: "warning same-subject", role: "note"},
      `Other open proposals change ${proposal.subject} too: `,
      proposal.same_subject.map((id, index) => [index ? ", " : "", h("a", {href: `#proposal-${id}`}, `#${id}`)]),
      ". Publishing one may make the others conflict; agree on one.") : null,
    diffSection(proposal),
    h("details", {class: "change"}, h("summary", {}, "Proposed change (JSON)"),
      h("pre", {}, JSON.stringify(proposal.change, null, 2))),
    proposal.findings.length ? findingsTable(proposal.findings) : null,
    history,
    actionForm(card, proposal));
}

const REVIEW_ACTIONS = new Set(["approve", "request_changes", "reject"]);

/** The field-by-field diff against the current contract; loaded at once for those who review. */
function diffSection(proposal) {
  const region = h("div", {class: "diff-body"});
  const section = h("details", {class: "diff", id: `diff-${proposal.id}`},
    h("summary", {}, "Changes against the current contract"), region);
  let loaded = false;
  const load = () => { if (!loaded) { loaded = true; loadDiff(proposal, region); } };
  section.addEventListener("toggle", () => { if (section.open) load(); });
  if (proposal.allowed_actions.some((action) => REVIEW_ACTIONS.has(action))) {
    section.open = true;
    load();
  }
  return section;
}

async function loadDiff(proposal, region) {
  replace(region, loading());
  try {
    const diff = await api("GET", `proposals/${proposal.id}/diff`);
    replace(region,
      h("p", {class: "meta"}, `Against version ${diff.against_version} (${diff.mode}): `,
        badge(`${diff.bump} bump`, "bump"), ` · ${diff.changes.length} change${diff.changes.length === 1 ? "" : "s"}`),
      diff.changes.length ? table("Field-level changes", ["Change", "Compatibility", "Bump", "Field", "Before", "After"],
        diff.changes.map((item) => [item.description,
          h("span", {class: item.compatibility, "data-compatibility": item.compatibility},
            item.compatibility + (item.code ? ` (${item.code})` : "")),
          item.bump, item.change.field || "—", show(item.change.old),
          item.change.kind === "added" && item.change.subject === proposal.subject
            ? added(proposal.change) : show(item.change.new)]),
        {class: "diff-table"}) : h("p", {class: "empty"}, "No change to the current contract."));
  } catch (error) {
    replace(region, problemBox(error, "Could not compare the proposal"));
  }
}

/** What a new contract is, in a line: its instrument and unit, or its type. */
function added(change) {
  const metric = change.metric;
  if (metric) {
    const refs = (metric.attributes || []).map((ref) => ref.ref || ref.id).filter(Boolean);
    return h("span", {}, `${metric.instrument}, unit `, h("code", {}, metric.unit || "—"),
      refs.length ? `, attributes ${refs.join(", ")}` : "");
  }
  const attribute = change.attribute;
  if (attribute) {
    const type = typeof attribute.type === "string" ? attribute.type
      : `enum of ${(attribute.type.members || []).length} members`;
    return h("span", {}, type);
  }
  return "—";
}

function show(value) {
  if (value === null || value === undefined) return "—";
  return h("code", {}, typeof value === "object" ? JSON.stringify(value) : String(value));
}

/** Only the actions the API says this caller may take now (its role, namespaces, the status). */
function actionForm(card, proposal) {
  const allowed = new Set(proposal.allowed_actions);
  const decisions = DECISIONS.filter(([decision]) => allowed.has(decision));
  if (!decisions.length && !allowed.has("withdraw")) return null;
  const outcome = h("div", {class: "review-outcome"});
  const comment = h("textarea", {name: "comment", id: `comment-${proposal.id}`, rows: 2, maxlength: 10000});
  const buttons = [];
  const act = (send, refused) => () => decide(card, proposal, send, refused, outcome, buttons);
  for (const [decision, label, style] of decisions) {
    buttons.push(h("button", {type: "button", class: style, "data-decision": decision,
      onclick: act(() => api("POST", `proposals/${proposal.id}/reviews`, {
        body: {decision, comment: comment.value}, headers: {"If-Match": `"${proposal.revision}"`}}),
      "The review was refused")}, label));
  }
  if (allowed.has("withdraw")) {
    buttons.push(h("button", {type: "button", class: "secondary withdraw", "data-decision": "withdraw",
      title: "Authors and admins may withdraw a proposal",
      onclick: act(() => api("POST", `proposals/${proposal.id}/withdraw`, {
        headers: {"If-Match": `"${proposal.revision}"`}}), "Withdrawing was refused")}, "Withdraw"));
  }
  return h("div", {class: "review"},
    decisions.length ? field("Comment", comment) : null,
    h("div", {class: "actions"}, buttons),
    outcome);
}

/** Send a decision (a review or a withdrawal), then show the proposal as it is now. */
async function decide(card, proposal, send, refused, outcome, buttons) {
  for (const button of buttons) button.disabled = true;
  replace(outcome, h("p", {class: "loading", role: "status"}, "Sending…"));
  try {
    await send();
    const fresh = await api("GET", `proposals/${proposal.id}`);
    fill(card, fresh);
    const message = `Recorded: proposal #${proposal.id} is now ${fresh.status}.`;
    card.querySelector(".proposal-head").after(h("p", {class: "success", role: "status"}, message));
    announce(message);
  } catch (error) {
    replace(outcome, problemBox(error, refused));
    for (const button of buttons) button.disabled = false;
  }
}

async function loadReviews(id, region) {
  replace(region, loading());
  try {
    const page = await api("GET", `proposals/${id}/reviews`, {query: {limit: 100}});
    replace(region, page.items.length
      ? h("ul", {}, page.items.map((item) => h("li", {},
        h("strong", {}, item.reviewer), " ", badge(item.decision, "decision"), " ", time(item.created_at),
        item.comment ? h("blockquote", {}, item.comment) : null)))
      : h("p", {class: "empty"}, "No reviews yet."));
  } catch (error) {
    replace(region, problemBox(error, "Could not read the reviews"));
  }
}
