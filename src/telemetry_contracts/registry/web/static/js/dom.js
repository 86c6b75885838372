// Building DOM nodes. Text always goes in as text nodes: API data never becomes markup.

/**
 * Make an element: h("a", {href: "#/x", class: "link"}, "text", child, [more]).
 * Attributes starting with "on" are event listeners; `false`/`null` attributes are left out.
 */
export function h(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") {
      node.addEventListener(name.slice(2).toLowerCase(), value);
    } else if (name === "dataset") {
      Object.assign(node.dataset, value);
    } else if (value === true) {
      node.setAttribute(name, "");
    } else {
      node.setAttribute(name, String(value));
    }
  }
  append(node, ...children);
  return node;
}

/** Append children: nodes, strings (as text), numbers, arrays of them; null is skipped. */
export function append(parent, ...children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return parent;
}

/** Replace everything inside `parent`. */
export function replace(parent, ...children) {
  parent.replaceChildren();
  return append(parent, ...children);
}

/** A table with a caption, column headers and rows of cells (nodes or text). */
export function table(caption, headers, rows, attributes = {}) {
  return h("div", {class: "table-wrap"},
    h("table", attributes,
      h("caption", {}, caption),
      h("thead", {}, h("tr", {}, headers.map((label) => h("th", {scope: "col"}, label)))),
      h("tbody", {}, rows.map((cells) => h("tr", {}, cells.map((cell) => h("td", {}, cell)))))));
}

/** A small coloured label: badge("stable", "stability"). */
export function badge(text, kind = "") {
  return h("span", {class: `badge ${kind} ${kind}-${String(text).replace(/[^a-z0-9_-]/gi, "")}`},
    text);
}

/** A label + control pair with an id derived from `name`. */
export function field(label, control, help = null) {
  const id = control.id || `field-${control.name}`;
  control.id = id;
  const helpNode = help ? h("span", {class: "help", id: `${id}-help`}, help) : null;
  if (helpNode) control.setAttribute("aria-describedby", helpNode.id);
  return h("div", {class: "field"}, h("label", {for: id}, label), control, helpNode);
}

/** A <select> with options given as values or [value, label] pairs. */
export function select(name, options, selected = "") {
  return h("select", {name},
    options.map((option) => {
      const [value, label] = Array.isArray(option) ? option : [option, option];
      return h("option", {value, selected: value === selected}, label);
    }));
}

/** Tell screen readers what happened (a polite live region). */
export function announce(message) {
  const region = document.getElementById("announcer");
  if (region) region.textContent = message;
}

/** A date-time in the reader's locale, with the ISO value in a <time> element. */
export function time(iso) {
  if (!iso) return "—";
  // The service keeps UTC; some stores hand it back without an offset.
  const zoned = /T.*(Z|[+-]\d\d:?\d\d)$/.test(iso) || !iso.includes("T") ? iso : `${iso}Z`;
  const date = new Date(zoned);
  const text = Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
  return h("time", {datetime: iso}, text);
}

/** A dotted name in <code>, allowed to wrap after its dots only. */
export function dotted(name) {
  const parts = String(name).split(".");
  return h("code", {class: "name"}, parts.map((part, i) => i < parts.length - 1 ? [part, ".", h("wbr")] : part));
}

/** Text where `backquoted` parts are shown as code (messages of findings and problems). */
export function prose(text) {
  return String(text ?? "").split("`").map((part, i) => i % 2 ? h("code", {}, part) : part);
}
