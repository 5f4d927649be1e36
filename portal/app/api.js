// The portal's one way to the public /v1 API. The access token lives in memory only; the
// refresh token is an HttpOnly cookie (scoped to /v1/sessions) that page scripts never see,
// so a reload or a new tab signs in again silently through /v1/sessions/refresh.

let accessToken = null;
let refreshing = null;
const listeners = new Set();

/** An answer of the API that is not a success: the problem+json body, kept whole. */
export class Problem extends Error {
  constructor(status, body) {
    super(body?.detail || body?.title || `HTTP ${status}`);
    this.status = status;
    this.type = body?.type || "";
    this.title = body?.title || "";
    this.detail = body?.detail || "";
    this.field = body?.field || null;
  }
}

/** Called with `true` on sign-in and `false` when the session ends. */
export function onSession(listener) {
  listeners.add(listener);
}

function setToken(token) {
  const was = accessToken !== null;
  accessToken = token;
  if (was !== (token !== null)) listeners.forEach((l) => l(token !== null));
}

export function signedIn() {
  return accessToken !== null;
}

async function send(method, path, body, { token = accessToken, headers = {} } = {}) {
  const init = { method, headers: { ...headers }, credentials: "same-origin" };
  if (token) init.headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  try {
    return await fetch(path, init);
  } catch {
    throw new Problem(0, { title: "offline", detail: "" });
  }
}

async function answer(response) {
  const text = await response.text();
  let body = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = { detail: text };
  }
  if (!response.ok) throw new Problem(response.status, body);
  return body;
}

/** Signs in; the refresh token goes into the cookie. */
export async function signIn(email, password) {
  const tokens = await answer(await send("POST", "/v1/sessions", { email, password, session: "cookie" }, { token: null }));
  setToken(tokens.access_token);
}

/** Tries the cookie; true when a session came back. */
export async function resume() {
  if (!refreshing) {
    refreshing = send("POST", "/v1/sessions/refresh", {}, { token: null })
      .then(answer)
      .then((tokens) => {
        setToken(tokens.access_token);
        return true;
      })
      .catch(() => {
        setToken(null);
        return false;
      })
      .finally(() => {
        refreshing = null;
      });
  }
  return refreshing;
}

export async function signOut() {
  try {
    await send("POST", "/v1/sessions/sign-out", {}, { token: null });
  } finally {
    setToken(null);
  }
}

/** Calls the API; an expired access token is refreshed once through the cookie. */
export async function call(method, path, body, options = {}) {
  let response = await send(method, path, body, options);
  if (response.status === 401 && accessToken && options.token === undefined) {
    if (await resume()) response = await send(method, path, body, options);
  }
  return answer(response);
}

export const get = (path) => call("GET", path);
export const post = (path, body, options) => call("POST", path, body ?? {}, options);
export const patch = (path, body) => call("PATCH", path, body);
export const put = (path, body) => call("PUT", path, body);
export const remove = (path) => call("DELETE", path);

/** An idempotency key for a create: a retried click files one case, not two. */
export function idempotencyKey() {
  return crypto.randomUUID();
}

/** Sends a file's bytes to an upload target the API gave (a presigned URL on AWS). */
export async function upload(target, file) {
  const headers = Object.fromEntries(target.headers || []);
  const response = await fetch(target.url, { method: target.method || "PUT", headers, body: file });
  if (!response.ok) await answer(response);
}

/** Downloads an attachment: the API answers with where its bytes are. */
export async function fileLink(ticketId, attachmentId) {
  return get(`/v1/tickets/${encodeURIComponent(ticketId)}/attachments/${encodeURIComponent(attachmentId)}`);
}

export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== "") q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : "";
}

/** The bytes behind an API path (a download): followed through a redirect to storage. */
export async function blob(path) {
  let response = await send("GET", path);
  if (response.status === 401 && accessToken && (await resume())) response = await send("GET", path);
  if (!response.ok) await answer(response);
  return response.blob();
}

/** Changes one's password: the other sessions end, this one goes on with new tokens. */
export async function changePassword(current, next) {
  const tokens = await call("POST", "/v1/me/password", { current_password: current, new_password: next, session: "cookie" });
  setToken(tokens.access_token);
}
