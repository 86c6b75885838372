// Propose a metric, an attribute or a deprecation and see the validation findings the API answers.

import {api} from "../api.js";
import {announce, field, h, replace, select} from "../dom.js";
import {findingsTable, problemBox} from "../widgets.js";

const INSTRUMENTS = ["counter", "updowncounter", "histogram", "gauge"];
const STABILITIES = ["development", "alpha", "beta", "release_candidate", "stable"];
const LEVELS = [["", "(default)"], "required", "recommended", "opt_in", "conditionally_required"];
const SENSITIVITIES = [["", "(not set)"], "public", "internal", "pii", "secret"];
const TYPES = ["string", "int", "double", "boolean", "string[]", "int[]", "double[]", "boolean[]", "enum"];

export function renderPropose(view, params = new URLSearchParams()) {
  refCount = 0;
  const result = h("section", {id: "propose-result", "aria-label": "Result", tabindex: "-1"});
  const refs = h("div", {class: "refs", id: "attribute-refs"});
  const form = h("form", {id: "propose-form", class: "card", novalidate: true},
    h("h2", {}, "Metric"),
    h("div", {class: "grid"},
      field("Name", h("input", {name: "name", required: true, spellcheck: "false", placeholder: "payments.checkout.duration"}),
        "Lower-case, dot-separated; the first segment is the namespace."),
      field("Instrument", select("instrument", INSTRUMENTS, "histogram")),
      field("Unit", h("input", {name: "unit", spellcheck: "false", placeholder: "s"}), "UCUM, e.g. s, By, {request}."),
      field("Stability", select("stability", STABILITIES, "development"))),
    field("Brief", h("input", {name: "brief", placeholder: "What it measures, in one sentence."})),
    field("Note", h("textarea", {name: "note", rows: 2})),
    h("fieldset", {},
      h("legend", {}, "Attributes"),
      h("p", {class: "help"}, "Keys of attributes the registry already has (for example error.type)."),
      refs,
      h("button", {type: "button", class: "secondary", onclick: () => refs.append(refRow())}, "Add attribute")),
    governance("field"),
    field("Proposal title", h("input", {name: "title", placeholder: "Add payments.checkout.duration"})),
    h("div", {class: "actions"}, h("button", {type: "submit"}, "Propose metric")));
  refs.append(refRow());
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submit(form, {kind: "metric", title: value(form, "title"), metric: metricOf(form)}, result);
  });
  replace(view,
    h("h1", {}, "Propose a contract"),
    h("p", {class: "lead"}, "The registry validates the proposal at once and answers with its findings. " +
      "A reviewer who owns the namespace approves it; an admin publishes it in the next version."),
    form, result, attributeForm(), deprecationForm(params.get("deprecate")));
  if (params.get("deprecate")) {
    view.querySelector("#deprecate-form").scrollIntoView();
    view.querySelector("#deprecate-renamed-to").focus();
  }
}

let refCount = 0;

function refRow() {
  const index = refCount++;
  const level = select("requirement_level", LEVELS);
  level.id = `level-${index}`;
  const row = h("div", {class: "ref-row"},
    field(`Attribute key ${index + 1}`, h("input", {name: "ref", id: `ref-${index}`, spellcheck: "false", placeholder: "error.type"})),
    field("Requirement level", level),
    field("Condition", h("input", {name: "condition", id: `condition-${index}`, placeholder: "when …"})),
    h("button", {type: "button", class: "link", "aria-label": `Remove attribute ${index + 1}`, onclick: () => row.remove()}, "Remove"));
  return row;
}

function value(form, name) {
  const control = form.elements.namedItem(name);
  return control ? control.value.trim() : "";
}

/** The definition/2 metric the form describes; empty fields are left out. */
function metricOf(form) {
  const metric = {name: value(form, "name"), instrument: value(form, "instrument"), unit: value(form, "unit")};
  for (const name of ["brief", "note", "stability"]) if (value(form, name)) metric[name] = value(form, name);
  const attributes = [];
  for (const row of form.querySelectorAll(".ref-row")) {
    const key = row.querySelector("[name=ref]").value.trim();
    if (!key) continue;
    const level = row.querySelector("[name=requirement_level]").value;
    const condition = row.querySelector("[name=condition]").value.trim();
    const ref = {ref: key};
    if (level === "conditionally_required") ref.requirement_level = {conditionally_required: condition || "when applicable"};
    else if (level) ref.requirement_level = level;
    attributes.push(ref);
  }
  metric.attributes = attributes;
  const annotations = annotationsOf(form);
  if (annotations) metric.annotations = annotations;
  return metric;
}

/** The governance annotations a contract carries: owner, sensitivity, cardinality, sunset. */
function governance(prefix) {
  const input = (name, attributes = {}) => h("input", {name, id: `${prefix}-${name}`, ...attributes});
  const sensitivity = select("sensitivity", SENSITIVITIES);
  sensitivity.id = `${prefix}-sensitivity`;
  return h("fieldset", {},
    h("legend", {}, "Governance"),
    h("div", {class: "grid"},
      field("Owner", input("owner", {placeholder: "team-payments"})),
      field("Sensitivity", sensitivity),
      field("Cardinality limit", input("cardinality_limit", {type: "number", min: "1", step: "1"})),
      field("Sunset", input("sunset", {type: "date"}))));
}

function annotationsOf(form) {
  const annotations = {};
  for (const name of ["owner", "sensitivity", "sunset"]) if (value(form, name)) annotations[name] = value(form, name);
  const limit = value(form, "cardinality_limit");
  if (limit) annotations.cardinality_limit = Number(limit);
  return Object.keys(annotations).length ? annotations : null;
}

function attributeForm() {
  const result = h("section", {id: "attribute-result", "aria-label": "Attribute result", tabindex: "-1"});
  const type = select("type", TYPES, "string");
  type.id = "attr-type";
  const stability = select("stability", STABILITIES, "development");
  stability.id = "attr-stability";
  const form = h("form", {id: "attribute-form", class: "card", novalidate: true},
    h("h2", {}, "Propose an attribute"),
    h("p", {class: "help"}, "A metric can only reference attributes the registry has: propose a new one here first."),
    h("div", {class: "grid"},
      field("Key", h("input", {name: "key", id: "attr-key", required: true, spellcheck: "false", placeholder: "payments.method"})),
      field("Type", type),
      field("Stability", stability)),
    field("Enum values", h("textarea", {name: "members", id: "attr-members", rows: 2, spellcheck: "false"}),
      "For the enum type: one value per line."),
    field("Brief", h("input", {name: "brief", id: "attr-brief"})),
    field("Note", h("textarea", {name: "note", id: "attr-note", rows: 2})),
    governance("attr"),
    h("div", {class: "actions"}, h("button", {type: "submit"}, "Propose attribute")));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const attribute = {key: value(form, "key"), type: value(form, "type")};
    if (attribute.type === "enum") {
      const values = value(form, "members").split("\n").map((line) => line.trim()).filter(Boolean);
      attribute.type = {members: values.map((member) => ({id: member.replace(/[^A-Za-z0-9_.]/g, "_"), value: member}))};
    }
    for (const name of ["brief", "note", "stability"]) if (value(form, name)) attribute[name] = value(form, name);
    const annotations = annotationsOf(form);
    if (annotations) attribute.annotations = annotations;
    submit(form, {kind: "attribute", title: `Add ${attribute.key}`, attribute}, result);
  });
  return [form, result];
}

function deprecationForm(name) {
  const result = h("section", {id: "deprecate-result", "aria-label": "Deprecation result", tabindex: "-1"});
  const form = h("form", {id: "deprecate-form", class: "card", novalidate: true},
    h("h2", {}, "Propose a deprecation"),
    h("div", {class: "grid"},
      field("Metric or attribute", h("input", {name: "name", id: "deprecate-name", required: true, spellcheck: "false", value: name || ""})),
      field("Replaced by", h("input", {name: "renamed_to", id: "deprecate-renamed-to", spellcheck: "false"}), "Leave empty when it is obsolete."),
      field("Sunset", h("input", {name: "sunset", id: "deprecate-sunset", type: "date"}))),
    field("Note", h("input", {name: "note", id: "deprecate-note"})),
    h("div", {class: "actions"}, h("button", {type: "submit"}, "Propose deprecation")));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const change = {kind: "deprecation", name: value(form, "name")};
    for (const name of ["renamed_to", "sunset", "note"]) if (value(form, name)) change[name] = value(form, name);
    change.title = `Deprecate ${change.name}`;
    submit(form, change, result);
  });
  return [form, result];
}

async function submit(form, change, result) {
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  replace(result, h("p", {class: "loading", role: "status"}, "Validating…"));
  try {
    const proposal = await api("POST", "proposals", {body: {change}});
    replace(result, created(proposal));
    announce(`Proposal ${proposal.id} created`);
  } catch (error) {
    replace(result, problemBox(error, "The proposal was refused"));
    announce("The proposal was refused");
  } finally {
    button.disabled = false;
    result.focus();
  }
}

function created(proposal) {
  return h("div", {class: "success proposal-created", "data-proposal-id": proposal.id},
    h("h2", {}, `Proposal #${proposal.id} created`),
    h("p", {}, `${proposal.kind} `, h("code", {}, proposal.subject),
    ` · status ${proposal.status} · based on version ${proposal.base_version}`,
    proposal.lifecycle && proposal.lifecycle.from ? ` · lifecycle ${proposal.lifecycle.from} → ${proposal.lifecycle.to}` : ""),
    findingsTable(proposal.findings),
    h("p", {}, h("a", {href: "#/proposals"}, "See all proposals")));
}
