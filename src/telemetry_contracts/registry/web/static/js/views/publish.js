// Publishing (admins): approved proposals become a new immutable version.

import {api} from "../api.js";
import {announce, field, h, replace, table, time} from "../dom.js";
import {changesList, loading, problemBox} from "../widgets.js";

export async function renderPublish(view) {
  const approved = h("section", {"aria-labelledby": "approved-heading"},
    h("h2", {id: "approved-heading"}, "Approved proposals"), loading());
  const versions = h("section", {"aria-labelledby": "versions-heading"},
    h("h2", {id: "versions-heading"}, "Published versions"), loading());
  replace(view, h("h1", {}, "Publish a version"),
    h("p", {class: "lead"}, "Admins publish approved proposals as a new version; its number follows the semver bump of the changes."),
    approved, versions);
  await Promise.all([fillApproved(approved, versions), fillVersions(versions)]);
}

async function fillApproved(section, versions) {
  let page;
  try {
    page = await api("GET", "proposals", {query: {status: "approved", limit: 1000}});
  } catch (error) {
    section.lastChild.replaceWith(problemBox(error, "Could not list approved proposals"));
    return;
  }
  if (!page.items.length) {
    section.lastChild.replaceWith(h("p", {class: "empty"}, "No approved proposals wait to be published."));
    return;
  }
  const outcome = h("div", {id: "publish-outcome", tabindex: "-1"});
  const form = h("form", {id: "publish-form", class: "card"},
    h("fieldset", {}, h("legend", {}, "Proposals to publish"),
      h("ul", {class: "checklist"}, page.items.map((proposal) => h("li", {},
        h("input", {type: "checkbox", name: "proposal", value: proposal.id, id: `publish-${proposal.id}`, checked: true}),
        h("label", {for: `publish-${proposal.id}`}, `#${proposal.id} `, h("code", {}, proposal.subject),
          ` — ${proposal.kind}${proposal.title ? `: ${proposal.title}` : ""} (by ${proposal.author})`))))),
    field("Release note", h("input", {name: "note", id: "publish-note"})),
    h("div", {class: "actions"}, h("button", {type: "submit"}, "Publish")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const ids = [...form.querySelectorAll("input[name=proposal]:checked")].map((box) => Number(box.value));
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    replace(outcome, h("p", {class: "loading", role: "status"}, "Publishing…"));
    try {
      const version = await api("POST", "versions", {body: {proposals: ids, note: form.elements.namedItem("note").value}});
      replace(outcome, published(version));
      form.remove();
      announce(`Version ${version.number} published`);
      await fillVersions(versions);
    } catch (error) {
      replace(outcome, problemBox(error, "Publishing was refused"));
      button.disabled = false;
    }
    outcome.focus();
  });
  section.lastChild.replaceWith(form);
  section.append(outcome);
}

function published(version) {
  return h("div", {class: "success", id: "published-version", "data-version": version.number},
    h("h3", {}, `Version ${version.number} published (${version.bump} bump)`),
    h("p", {}, `${version.metrics} metrics, ${version.attributes} attributes · `,
      h("a", {href: "#/metrics"}, "Browse the new version")),
    version.changes.length ? changesList(version.changes, "Changes") : null);
}

async function fillVersions(section) {
  const heading = section.firstChild;
  try {
    const items = [];
    let cursor = null;
    do {
      const page = await api("GET", "versions", {query: {limit: 1000, cursor}});
      items.push(...page.items);
      cursor = page.next_cursor;
    } while (cursor && items.length < 10000);
    replace(section, heading, table(`${items.length} versions, newest first`,
      ["Version", "Bump", "Metrics", "Attributes", "Published by", "At", "Note"],
      items.reverse().map((v) => [h("code", {}, v.number), v.bump, v.metrics, v.attributes, v.published_by,
        time(v.published_at), v.note || ""]), {id: "versions-table"}));
  } catch (error) {
    replace(section, heading, problemBox(error, "Could not list versions"));
  }
}
