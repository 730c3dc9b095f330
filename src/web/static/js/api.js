// The client of the public JSON API (/api/v1). Tokens live in this module's memory only: never
// in Web Storage or cookies. A reload signs the user out.

const tokens = { access: null, refresh: null, expiresAt: 0 };
let onExpired = () => {};

export class ApiError extends Error {
  constructor(status, problem) {
    super((problem && (problem.detail || problem.title)) || `HTTP ${status}`);
    this.status = status;
    this.problem = problem || {};
  }
  /** Field errors of a 422 problem: [{field, message}]. */
  get fieldErrors() {
    return Array.isArray(this.problem.errors) ? this.problem.errors : [];
  }
}

/** Called when the session cannot be renewed (the refresh token expired or was revoked). */
export function setExpiredHandler(fn) {
  onExpired = fn;
}

export function signedIn() {
  return tokens.access !== null;
}

function keep(t) {
  tokens.access = t.access_token;
  tokens.refresh = t.refresh_token;
  tokens.expiresAt = Date.now() + (Number(t.expires_in) || 0) * 1000;
}

export function forget() {
  tokens.access = null;
  tokens.refresh = null;
  tokens.expiresAt = 0;
}

async function parse(res) {
  const type = res.headers.get("content-type") || "";
  if (res.status === 204) return null;
  if (type.includes("json")) return res.json();
  return res.text();
}

export async function login(username, password) {
  const res = await fetch("/api/v1/auth/login", {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify({ username, password }),
    credentials: "omit",
  });
  const body = await parse(res);
  if (!res.ok) throw new ApiError(res.status, body);
  keep(body);
}

let refreshing = null;
async function refresh() {
  if (!tokens.refresh) return false;
  if (!refreshing) {
    refreshing = (async () => {
      try {
        const res = await fetch("/api/v1/auth/refresh", {
          method: "POST",
          headers: { "Content-Type": "application/json", Accept: "application/json" },
          body: JSON.stringify({ refresh_token: tokens.refresh }),
          credentials: "omit",
        });
        if (!res.ok) return false;
        keep(await res.json());
        return true;
      } catch {
        return false;
      } finally {
        setTimeout(() => (refreshing = null), 0);
      }
    })();
  }
  return refreshing;
}

export async function logout() {
  const refreshToken = tokens.refresh;
  const access = tokens.access;
  forget();
  if (!refreshToken) return;
  try {
    await fetch("/api/v1/auth/logout", {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        Authorization: `Bearer ${access}`,
      },
      body: JSON.stringify({ refresh_token: refreshToken }),
      credentials: "omit",
    });
  } catch {
    /* signed out locally either way */
  }
}

/**
 * request("GET", "/cases/1") → {data, etag}. Options: body (JSON), ifMatch, accept, raw (give the
 * Response's Blob). A 401 tries one refresh, then reports the session as expired.
 */
export async function request(method, path, opts = {}) {
  if (tokens.access && tokens.expiresAt - Date.now() < 10_000) await refresh();
  let res = await send(method, path, opts);
  if (res.status === 401 && (await refresh())) res = await send(method, path, opts);
  if (res.status === 401) {
    forget();
    onExpired();
    throw new ApiError(401, { title: "session expired" });
  }
  if (!res.ok) throw new ApiError(res.status, await parse(res).catch(() => null));
  const data = opts.raw ? await res.blob() : await parse(res);
  return { data, etag: res.headers.get("etag"), status: res.status };
}

function send(method, path, opts) {
  const headers = { Accept: opts.accept || "application/json" };
  if (tokens.access) headers.Authorization = `Bearer ${tokens.access}`;
  if (opts.ifMatch) headers["If-Match"] = opts.ifMatch;
  if (opts.idempotencyKey) headers["Idempotency-Key"] = opts.idempotencyKey;
  const init = { method, headers, credentials: "omit", cache: "no-store" };
  if (opts.body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(opts.body);
  }
  return fetch(`/api/v1${path}`, init);
}

export const get = (path, opts) => request("GET", path, opts).then((r) => r.data);
export const post = (path, body, opts = {}) =>
  request("POST", path, { ...opts, body }).then((r) => r.data);
export const patch = (path, body, opts = {}) =>
  request("PATCH", path, { ...opts, body }).then((r) => r.data);

/** A random key for Idempotency-Key: one per form, so that a retried submission counts once. */
export function newIdempotencyKey() {
  const b = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}
