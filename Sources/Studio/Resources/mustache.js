// Splits template text into plain runs and Mustache tags for highlighting. Only the default
// `{{ }}` delimiters: a template that sets its own still renders, it is just shown plainer.
const kinds = { "#": "section", "^": "inverted", "/": "close", ">": "partial", "<": "parent",
  "$": "block", "!": "comment", "{": "raw", "&": "raw", "=": "delimiters" };

/// [{text, kind}] where kind is null for plain text, else the tag's kind.
export function tokens(text) {
  const out = [];
  let at = 0;
  while (at < text.length) {
    const open = text.indexOf("{{", at);
    if (open < 0) break;
    if (open > at) out.push({ text: text.slice(at, open), kind: null });
    const triple = text.startsWith("{{{", open);
    const closer = triple ? "}}}" : "}}";
    let close = text.indexOf(closer, open + (triple ? 3 : 2));
    // An unclosed tag runs to the end of its line, so the rest of the file still reads.
    if (close < 0) {
      const end = text.indexOf("\n", open);
      close = end < 0 ? text.length : end;
      out.push({ text: text.slice(open, close), kind: "broken" });
      at = close;
      continue;
    }
    const end = close + closer.length;
    const sigil = text.charAt(open + 2);
    out.push({ text: text.slice(open, end), kind: triple ? "raw" : (kinds[sigil] || "variable") });
    at = end;
  }
  if (at < text.length) out.push({ text: text.slice(at), kind: null });
  return out;
}

/// The variable names a template reads (for the variables panel's hints).
export function names(text) {
  const found = new Set();
  for (const token of tokens(text)) {
    if (!["variable", "raw", "section", "inverted"].includes(token.kind)) continue;
    const name = token.text.replace(/^\{\{\{?[#^&]?\s*/, "").replace(/\s*\}?\}\}$/, "");
    if (name && name !== ".") found.add(name);
  }
  return [...found];
}
