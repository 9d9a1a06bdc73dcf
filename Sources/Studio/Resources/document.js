// A template's parts as the editor sees them: one text per locale and part, and back to the
// `{subject, body}` the API stores. JSON parts (push `data`, webhook `json`) are edited as text
// and parsed here; a part that does not parse is reported like a template error.
export const partsByType = {
  email: ["subject", "html", "text"],
  sms: ["text"], inapp: ["text"], chat: ["text"],
  push: ["title", "text", "data"],
  webhook: ["json"],
};
export const jsonParts = new Set(["data", "json"]);
export const defaultLocale = "";

export function bodyObject(body) {
  if (body && typeof body === "object") return body;
  if (typeof body === "string") {
    try { const parsed = JSON.parse(body); if (parsed && typeof parsed === "object") return parsed; } catch { /* a bare part */ }
    return { text: body };
  }
  return {};
}

/// {"": {part: text}, "de": {part: text}} from a stored subject and body.
export function textsOf(type, subject, body) {
  const parts = partsByType[type] || ["text"];
  const document = bodyObject(body);
  if (type === "email" && typeof body === "string" && !("html" in document) && "text" in document) {
    document.html = document.text; delete document.text;
  }
  const read = (source, part, fallbackSubject) => {
    if (part === "subject") return fallbackSubject ?? "";
    const value = source[part];
    if (value === undefined || value === null) return "";
    return jsonParts.has(part) ? JSON.stringify(value, null, 2) : String(value);
  };
  const texts = { [defaultLocale]: {} };
  for (const part of parts) texts[defaultLocale][part] = read(document, part, subject);
  for (const [locale, overrides] of Object.entries(document.locales || {})) {
    texts[locale] = {};
    for (const part of parts) texts[locale][part] = read(overrides || {}, part, overrides?.subject);
  }
  return texts;
}

/// {subject, body, issues}: issues for JSON parts that do not parse.
export function documentOf(type, texts) {
  const parts = partsByType[type] || ["text"];
  const issues = [];
  const collect = (locale) => {
    const out = {};
    for (const part of parts) {
      const text = texts[locale]?.[part] ?? "";
      if (part === "subject") continue;
      if (text === "" && (locale !== defaultLocale || part === "text" && type === "email" || part === "data")) continue;
      if (jsonParts.has(part)) {
        try { out[part] = JSON.parse(text || "null"); } catch (error) { issues.push(jsonIssue(error, text, part, locale)); }
      } else out[part] = text;
    }
    return out;
  };
  const body = collect(defaultLocale);
  const locales = {};
  for (const locale of Object.keys(texts)) {
    if (locale === defaultLocale) continue;
    const overrides = collect(locale);
    const subject = texts[locale].subject;
    if (parts.includes("subject") && subject) overrides.subject = subject;
    locales[locale] = overrides;
  }
  if (Object.keys(locales).length) body.locales = locales;
  const subject = parts.includes("subject") ? texts[defaultLocale].subject ?? "" : undefined;
  return { subject, body, issues };
}

// JSON.parse says "… at position N" or "(line L column C)": turn either into a line and column.
function jsonIssue(error, text, part, locale) {
  let line = 0, column = 0;
  const position = /position (\d+)/.exec(error.message);
  const lineColumn = /line (\d+) column (\d+)/.exec(error.message);
  if (lineColumn) { line = Number(lineColumn[1]); column = Number(lineColumn[2]); }
  else if (position) {
    const before = text.slice(0, Number(position[1])).split("\n");
    line = before.length; column = before[before.length - 1].length + 1;
  }
  const detail = error.message.replace(/^JSON\.parse: /, "");
  return { part, locale: locale || null, line, column, detail, message: `${part}:${line}:${column}: ${detail}` };
}
