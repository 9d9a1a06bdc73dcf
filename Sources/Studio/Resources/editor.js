// A code editor: a transparent textarea over a highlighted <pre>, a line-number gutter and a
// layer of error marks placed by line and column (the font is monospaced and lines do not
// wrap, so a position is a row and a column of character cells).
import { h, clear } from "./dom.js";
import { tokens } from "./mustache.js";

let editorCount = 0;

export class CodeEditor {
  constructor({ label, mode = "mustache", onInput, describedBy = "issues" }) {
    const id = `code-${++editorCount}`;
    this.mode = mode;
    this.onInput = onInput;
    this.issues = [];
    this.gutter = h("div", { class: "gutter", "aria-hidden": "true" });
    this.code = h("code");
    this.pre = h("pre", { class: "highlight", "aria-hidden": "true" }, this.code);
    this.marks = h("div", { class: "marks", "aria-hidden": "true" });
    this.textarea = h("textarea", {
      id, class: "source", spellcheck: "false", wrap: "off", autocapitalize: "off", autocomplete: "off",
      "aria-describedby": describedBy, "aria-multiline": "true",
    });
    this.label = h("label", { for: id, class: "visually-hidden" }, label);
    this.element = h("div", { class: "editor" }, this.label, this.gutter,
      h("div", { class: "code" }, this.pre, this.marks, this.textarea));
    this.textarea.addEventListener("input", () => { this.render(); this.onInput?.(this.textarea.value); });
    this.textarea.addEventListener("scroll", () => this.sync());
  }

  get value() { return this.textarea.value; }
  set value(text) { this.textarea.value = text; this.render(); }

  setLabel(text) { this.label.textContent = text; }
  setPlaceholder(text) { this.textarea.placeholder = text; }
  focus() { this.textarea.focus(); }

  /// Issues for this part: [{line, column, detail}] (1-based; 0 means no position).
  setIssues(issues) {
    this.issues = issues;
    this.textarea.setAttribute("aria-invalid", issues.length ? "true" : "false");
    this.render();
  }

  /// Moves the caret to a line and column and shows it.
  goTo(line, column) {
    const lines = this.textarea.value.split("\n");
    let offset = 0;
    for (let i = 0; i < Math.min(line - 1, lines.length); i++) offset += lines[i].length + 1;
    offset += Math.max(0, column - 1);
    this.textarea.focus();
    this.textarea.setSelectionRange(offset, offset);
  }

  render() {
    const text = this.textarea.value;
    const lineCount = text.split("\n").length;
    const errorLines = new Map();
    for (const issue of this.issues) if (issue.line > 0) errorLines.set(issue.line, issue.detail || issue.message);
    const numbers = [];
    for (let n = 1; n <= lineCount; n++) {
      numbers.push(errorLines.has(n) ? h("span", { class: "error-line", title: errorLines.get(n) }, String(n)) : String(n));
      numbers.push("\n");
    }
    clear(this.gutter, numbers);
    clear(this.code, this.mode === "json" ? jsonSpans(text) : mustacheSpans(text), "\n");
    clear(this.marks, this.issues.filter((i) => i.line > 0).map((issue) => [
      h("div", { class: "mark-line", style: null, "data-line": issue.line }),
      h("div", { class: "mark-column", "data-line": issue.line, "data-column": Math.max(1, issue.column) }),
    ]));
    this.placeMarks();
    this.sync();
  }

  // Positions through CSS custom properties (set from script, so the policy's style-src allows them).
  placeMarks() {
    for (const mark of this.marks.children) {
      mark.style.setProperty("--row", String(Number(mark.dataset.line) - 1));
      if (mark.dataset.column) mark.style.setProperty("--column", String(Number(mark.dataset.column) - 1));
    }
  }

  sync() {
    const { scrollTop, scrollLeft } = this.textarea;
    const shift = `translate(${-scrollLeft}px, ${-scrollTop}px)`;
    this.pre.style.transform = shift;
    this.marks.style.transform = shift;
    this.gutter.style.transform = `translateY(${-scrollTop}px)`;
  }
}

function mustacheSpans(text) {
  return tokens(text).map(({ text: run, kind }) => kind ? h("span", { class: `tag tag-${kind}` }, run) : run);
}

// Strings, numbers and keywords of JSON; Mustache tags inside strings as well.
function jsonSpans(text) {
  const out = [];
  const pattern = /("(?:[^"\\\n]|\\.)*"?)(\s*:)?|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)|\b(true|false|null)\b/g;
  let at = 0;
  for (const match of text.matchAll(pattern)) {
    if (match.index > at) out.push(text.slice(at, match.index));
    if (match[1]) {
      const cls = match[2] ? "json-key" : "json-string";
      out.push(h("span", { class: cls }, mustacheSpans(match[1])));
      if (match[2]) out.push(match[2]);
    } else if (match[3]) out.push(h("span", { class: "json-number" }, match[3]));
    else out.push(h("span", { class: "json-keyword" }, match[4]));
    at = match.index + match[0].length;
  }
  if (at < text.length) out.push(text.slice(at));
  return out;
}
