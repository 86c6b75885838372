// The JSON API client: bearer token from localStorage, problem documents as ApiError.

const TOKEN_KEY = "telemetry-contracts.token";
const API_ROOT = new URL("../v1/", document.baseURI);

export function getToken() {
  return window.localStorage.getItem(TOKEN_KEY) || "";
}

export function setToken(token) {
  if (token) window.localStorage.setItem(TOKEN_KEY, token);
  else window.localStorage.removeItem(TOKEN_KEY);
}

/** An error answer: HTTP status plus the RFC 9457 problem document the API sent. */
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }

  get findings() {
    return Array.isArray(this.problem.findings) ? this.problem.findings : [];
  }
}

/**
 * Call the API: api("GET", "metrics", {query: {limit: 50}}) or
 * api("POST", "proposals", {body: {...}, headers: {"If-Match": '"3"'}}).
 * Resolves to the parsed JSON (null for 204); rejects with ApiError.
 */
export async function api(method, path, {query = {}, body = undefined, headers = {}} = {}) {
  const url = new URL(path, API_ROOT);
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== "") url.searchParams.set(name, value);
  }
  const request = {method, headers: {Accept: "application/json", ...headers}};
  const token = getToken();
  if (token) request.headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) {
    request.headers["Content-Type"] = "application/json";
    request.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(url, request);
  } catch (error) {
    throw new ApiError(0, {title: "Network error", detail: `the registry did not answer (${error.message})`});
  }
  const text = await response.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = {title: `HTTP ${response.status}`, detail: text.slice(0, 500)};
    }
  }
  if (!response.ok) {
    throw new ApiError(response.status, data && typeof data === "object" ? data : {});
  }
  return data;
}

/** The name a page's path segment stands for, URL-encoded for the API. */
export function segment(name) {
  return encodeURIComponent(name);
}
