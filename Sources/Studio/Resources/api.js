// The public API, called with the tenant's key pair. The keys live in sessionStorage only:
// never in a URL, a cookie or localStorage, and they are gone when the tab closes.
const base = "/api/v0";
const storageKey = "herald.studio.keys";

export class APIError extends Error {
  constructor(status, body) {
    super((body && body.message) || `HTTP ${status}`);
    this.status = status;
    this.body = body || {};
  }
}

export function storedKeys() {
  try { return JSON.parse(sessionStorage.getItem(storageKey) || "null"); } catch { return null; }
}
export function storeKeys(keys) { sessionStorage.setItem(storageKey, JSON.stringify(keys)); }
export function forgetKeys() { sessionStorage.removeItem(storageKey); }

/// One call: answers {body, etag}; throws APIError for any status but 2xx.
export async function call(method, path, { json, headers = {}, keys = storedKeys() } = {}) {
  const init = { method, headers: { ...headers }, cache: "no-store", credentials: "omit" };
  if (keys) {
    init.headers["x-protocol-public-key"] = keys.publicKey;
    init.headers["x-protocol-secret-key"] = keys.secretKey;
  }
  if (json !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(json);
  }
  const response = await fetch(base + path, init);
  const text = await response.text();
  let body = null;
  try { body = text ? JSON.parse(text) : null; } catch { body = { message: text }; }
  if (!response.ok) throw new APIError(response.status, body);
  return { body, etag: response.headers.get("ETag") };
}

export const api = {
  // The tenant a key pair belongs to; servers without /auth/tenants/current answer by public key.
  tenantOfKey: async (keys) => {
    try { return await call("GET", "/auth/tenants/current", { keys }); } catch (error) {
      if (!(error instanceof APIError) || (error.status !== 404 && error.status !== 405)) throw error;
      return call("GET", `/tenants/pkey/${encodeURIComponent(keys.publicKey)}`, { keys });
    }
  },
  templates: async (tenantId, type) => {
    // Every page: a tenant has dozens of templates, not thousands.
    const all = [];
    let cursor = "";
    for (let page = 0; page < 50; page++) {
      const query = new URLSearchParams({ perPage: "100" });
      if (type) query.set("type", type);
      if (cursor) query.set("cursor", cursor);
      const { body } = await call("GET", `/tenants/${tenantId}/notifications/templates?${query}`);
      all.push(...body.data);
      if (!body.meta || !body.meta.next || body.data.length === 0) break;
      cursor = body.meta.next;
    }
    return all;
  },
  template: (id) => call("GET", `/notifications/templates/${id}`),
  create: (tenantId, template) => call("POST", "/notifications/templates", { json: { tenantId, ...template } }),
  rename: (id, name, etag) => call("PUT", `/notifications/templates/${id}`, { json: { name }, headers: etag ? { "If-Match": etag } : {} }),
  remove: (id, force) => call("DELETE", `/notifications/templates/${id}${force ? "?force=true" : ""}`),
  draft: (id) => call("GET", `/notifications/templates/${id}/draft`),
  saveDraft: (id, draft) => call("PUT", `/notifications/templates/${id}/draft`, { json: draft }),
  deleteDraft: (id) => call("DELETE", `/notifications/templates/${id}/draft`),
  publish: (id, etag) => call("POST", `/notifications/templates/${id}/publish`, { json: {}, headers: etag ? { "If-Match": etag } : {} }),
  sample: (id) => call("GET", `/notifications/templates/${id}/sample`),
  saveSample: (id, data) => call("PUT", `/notifications/templates/${id}/sample`, { json: { data } }),
  versions: (id) => call("GET", `/notifications/templates/${id}/versions`),
  restore: (id, version) => call("POST", `/notifications/templates/${id}/versions/${version}/restore`, { json: {} }),
  preview: (request) => call("POST", "/notifications/templates/preview", { json: request }),
  channels: (tenantId) => call("GET", `/tenants/${tenantId}/notifications/channels?perPage=100`),
  test: (request) => call("POST", "/notifications/test", { json: request }),
  notification: (id) => call("GET", `/notifications/${id}`),
};

/// The issues of an error answer as one parenthesised line, for messages.
export function issueText(error) {
  const issues = error?.body?.issues || [];
  return issues.length ? ` (${issues.map((i) => i.message).join("; ")})` : "";
}

/// Structured issues from an answer: the API's own, or parsed from one-line messages
/// ("body.html:3:7: unclosed section", "locales.de.subject:1:4: …") where a server has no others.
export function structuredIssues(issues, errors) {
  if (Array.isArray(issues) && issues.length && issues.every((i) => i && typeof i === "object" && "part" in i)) return issues;
  const lines = (Array.isArray(issues) && issues.length ? issues.map((i) => i.message || String(i)) : errors || []);
  return lines.map((message) => {
    const match = /^(?:body\.)?(?:locales\.([^.:]+)\.)?([a-z]+):(\d+):(\d+): (.*)$/.exec(message);
    if (!match) return { message, part: null, locale: null, line: 0, column: 0, detail: message };
    return { message, locale: match[1] || null, part: match[2], line: Number(match[3]), column: Number(match[4]), detail: match[5] };
  });
}
