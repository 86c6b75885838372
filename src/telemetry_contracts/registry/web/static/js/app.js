// Entry point: the token field and the hash router (#/page/arg?query).

import {api, getToken, setToken} from "./api.js";
import {announce, h, replace} from "./dom.js";
import {renderContract, renderList} from "./views/browse.js";
import {renderDeprecations} from "./views/deprecations.js";
import {renderServices, renderUnknown} from "./views/fleet.js";
import {renderProposals} from "./views/proposals.js";
import {renderPropose} from "./views/propose.js";
import {renderPublish} from "./views/publish.js";

const ROUTES = {
  metrics: (view, params, name) => name ? renderContract(view, "metric", name) : renderList(view, "metric", params),
  attributes: (view, params, key) => key ? renderContract(view, "attribute", key) : renderList(view, "attribute", params),
  propose: (view, params) => renderPropose(view, params),
  proposals: (view, params) => renderProposals(view, params),
  publish: (view) => renderPublish(view),
  deprecations: (view, params) => renderDeprecations(view, params),
  unknown: (view, params) => renderUnknown(view, params),
  services: (view, params) => renderServices(view, params),
};

/** The page, its argument and query of a hash like #/metrics/http.server.request.duration?x=1. */
export function parseHash(hash) {
  const text = hash.replace(/^#\/?/, "");
  const [path, query = ""] = text.split("?", 2);
  const [page, ...rest] = path.split("/");
  const argument = rest.length ? decodeURIComponent(rest.join("/")) : null;
  return {page: page || "metrics", argument, params: new URLSearchParams(query)};
}

let generation = 0;

async function route() {
  const view = document.getElementById("view");
  const {page, argument, params} = parseHash(window.location.hash);
  const render = ROUTES[page];
  for (const link of document.querySelectorAll("[data-nav]")) {
    if (link.dataset.nav === page) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  const current = ++generation;
  const target = h("div", {class: "page"});
  replace(view, target);
  if (!render) {
    replace(target, h("h1", {}, "Not found"), h("p", {}, "There is no such page. ", h("a", {href: "#/metrics"}, "Browse metrics")));
    return;
  }
  await render(target, params, argument);
  if (current !== generation) return;
  const heading = target.querySelector("h1");
  document.title = heading ? `${heading.textContent} · Telemetry contracts` : "Telemetry contracts";
  announce(document.title);
  // Move focus to the new page (for screen readers), unless the reader is busy elsewhere:
  // typing in the token field, or in a control the page itself focused.
  const active = document.activeElement;
  const busy = view.contains(active) || (active && active.closest("#token-form"));
  if (!busy) view.focus({preventScroll: true});
}

let asked = 0;

/** Who the token is (GET /v1/me): its name, role and namespaces, shown next to the field. */
async function showTokenState() {
  const question = ++asked;
  const state = document.getElementById("token-state");
  state.dataset.set = getToken() ? "yes" : "no";
  state.dataset.role = "";
  if (!getToken()) {
    state.textContent = "No token: reads may be refused";
    return;
  }
  state.textContent = "Token set";
  try {
    const me = await api("GET", "me");
    if (question !== asked) return;  // another token was set meanwhile
    state.dataset.role = me.role;
    const owns = me.namespaces.length ? ` · owns ${me.namespaces.join(", ")}` : "";
    state.textContent = `${me.name} · ${me.role}${owns}`;
  } catch (error) {
    if (question === asked) state.textContent = `Token refused: ${error.message}`;
  }
}

function setUpToken() {
  const form = document.getElementById("token-form");
  const input = document.getElementById("token-input");
  input.value = getToken();
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    setToken(input.value.trim());
    showTokenState();
    route();
  });
  document.getElementById("token-clear").addEventListener("click", () => {
    input.value = "";
    setToken("");
    showTokenState();
    route();
  });
  showTokenState();
}

setUpToken();
window.addEventListener("hashchange", route);
if (!window.location.hash) window.history.replaceState(null, "", "#/metrics");
route();
