// A line diff (longest common subsequence) shown side by side: left the old text, right the new.
import { h } from "./dom.js";

/// [{kind: "same"|"removed"|"added"|"changed", left, right}] row by row.
export function diffRows(oldText, newText) {
  const a = oldText.split("\n");
  const b = newText.split("\n");
  // Quadratic table; parts are hundreds of lines at most. Longer ones compare line by line.
  if (a.length * b.length > 4_000_000) return a.map((line, i) => ({ kind: line === b[i] ? "same" : "changed", left: line, right: b[i] ?? "" }));
  const table = Array.from({ length: a.length + 1 }, () => new Uint32Array(b.length + 1));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      table[i][j] = a[i] === b[j] ? table[i + 1][j + 1] + 1 : Math.max(table[i + 1][j], table[i][j + 1]);
    }
  }
  const rows = [];
  let i = 0, j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) { rows.push({ kind: "same", left: a[i++], right: b[j++] }); }
    else if (j < b.length && (i === a.length || table[i][j + 1] >= table[i + 1][j])) { rows.push({ kind: "added", left: null, right: b[j++] }); }
    else { rows.push({ kind: "removed", left: a[i++], right: null }); }
  }
  return rows;
}

export function diffTable(title, oldText, newText, oldLabel, newLabel) {
  const rows = diffRows(oldText, newText);
  const changed = rows.some((row) => row.kind !== "same");
  return h("figure", { class: "diff" },
    h("figcaption", {}, `${title}${changed ? "" : " (unchanged)"}`),
    h("table", {},
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, oldLabel), h("th", { scope: "col" }, newLabel))),
      h("tbody", {}, rows.map((row) => h("tr", { class: row.kind },
        h("td", { class: row.left === null ? "blank" : "" }, row.left ?? ""),
        h("td", { class: row.right === null ? "blank" : "" }, row.right ?? ""))))));
}
