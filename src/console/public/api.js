// JSON API client: same-origin cookies, the CSRF token on every write, `{ error }` bodies as ApiError.

let csrfToken = "";
let unauthorizedHandler = () => {};

export function setCsrf(token) {
  csrfToken = token ?? "";
}

/** Called when a request (other than the session/login ones) gets 401: the session is gone. */
export function onUnauthorized(handler) {
  unauthorizedHandler = handler;
}

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.error || `Request failed (HTTP ${status})`);
    this.name = "ApiError";
    this.status = status;
    this.body = body ?? {};
  }
}

/**
 * api("GET", "/console/api/session"), api("POST", path, { json }), api("POST", path, { body, contentType }).
 * allow401: the caller handles 401 itself (session, login).
 */
export async function api(method, path, options = {}) {
  const headers = { Accept: "application/json" };
  if (method !== "GET" && method !== "HEAD") headers["X-CSRF-Token"] = csrfToken;
  Object.assign(headers, options.headers || {});
  let body;
  if (options.json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(options.json);
  } else if (options.body !== undefined) {
    headers["Content-Type"] = options.contentType || "application/octet-stream";
    body = options.body;
  }
  let res;
  try {
    res = await fetch(path, { method, headers, body, credentials: "same-origin", cache: "no-store" });
  } catch {
    throw new ApiError(0, { error: "The server cannot be reached." });
  }
  let data = null;
  if (res.status !== 204) {
    const text = await res.text();
    if (text) {
      try {
        data = JSON.parse(text);
      } catch {
        data = res.ok ? {} : { error: `Request failed (HTTP ${res.status} ${res.statusText})` };
      }
    }
  }
  if (!res.ok) {
    if (res.status === 401 && !options.allow401) unauthorizedHandler();
    throw new ApiError(res.status, data && typeof data === "object" ? data : null);
  }
  return data && typeof data === "object" ? data : {};
}

export const get = (path) => api("GET", path);
export const post = (path, json) => api("POST", path, { json: json ?? {} });
export const del = (path) => api("DELETE", path);

export function errorText(err) {
  return err instanceof Error ? err.message : String(err);
}
