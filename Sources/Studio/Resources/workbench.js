// The open template: its editors per locale and part, the live preview, drafts, publish,
// rename and delete. Side panels (variables, versions, test send) are in panels.js.
import { api, APIError, issueText, structuredIssues } from "./api.js";
import { $, h, clear, debounce, ask, prompt, toast } from "./dom.js";
import { CodeEditor } from "./editor.js";
import { PreviewPanel } from "./preview.js";
import { partsByType, jsonParts, defaultLocale, textsOf, documentOf } from "./document.js";
import { VariablesPanel, VersionsPanel, TestPanel } from "./panels.js";

const partLabels = { subject: "Subject", html: "HTML", text: "Text", title: "Title", data: "Data (JSON)", json: "JSON" };

export class Workbench {
  constructor({ onChanged, onDeleted }) {
    this.onChanged = onChanged;
    this.onDeleted = onDeleted;
    this.tenant = null;
    this.template = null;
    this.preview = new PreviewPanel($("panel-preview"));
    this.variables = new VariablesPanel($("panel-variables"), this);
    this.versions = new VersionsPanel($("panel-versions"), this);
    this.test = new TestPanel($("panel-test"), this);
    this.editor = new CodeEditor({ label: "Template part", onInput: (text) => this.edited(text) });
    $("editor-host").append(this.editor.element);
    this.previewSoon = debounce(() => this.renderPreview(), 250);
    this.saveSoon = debounce(() => this.saveDraft(), 1200);
    this.previewSequence = 0;
    $("rename").addEventListener("click", () => this.rename());
    $("delete").addEventListener("click", () => this.remove());
    $("save-draft").addEventListener("click", () => this.saveDraftNow());
    $("publish").addEventListener("click", () => this.publish());
    setUpTabs($("side-tabs"), (id) => { if (id === "tab-versions") this.versions.load(); if (id === "tab-test") this.test.load(); });
  }

  // ---- opening and closing

  async open(id) {
    this.saveSoon.cancel();
    this.previewSoon.cancel();
    const { body, etag } = await api.template(id);
    const template = body.data || body;
    let draft = null;
    try { draft = (await api.draft(id)).body?.data || null; } catch { /* no draft endpoint or none: the published template */ }
    this.template = template;
    this.etag = etag;
    this.hasDraft = Boolean(draft);
    this.dirty = false;
    this.texts = draft ? textsOf(template.type, draft.subject, draft.body) : textsOf(template.type, template.subject, template.body);
    this.locale = defaultLocale;
    this.part = (partsByType[template.type] || ["text"]).find((p) => p !== "subject") || "text";
    if (template.type === "email") this.part = "html";
    this.issues = draft?.issues ? structuredIssues(draft.issues) : [];
    $("empty-editor").hidden = true;
    $("editor-main").hidden = false;
    $("side-pane").hidden = false;
    $("template-title").textContent = template.name;
    $("template-type").textContent = template.type;
    this.setState(draft ? `Draft (not published), saved ${time(draft.updatedAt)}` : "Published");
    this.renderTabs();
    this.showPart();
    this.preview.showPending("Rendering…");
    await this.variables.load(template);
    this.versions.reset();
    this.test.reset();
    await this.renderPreview();
  }

  close() {
    this.saveSoon.cancel();
    this.template = null;
    $("editor-main").hidden = true;
    $("side-pane").hidden = true;
    $("empty-editor").hidden = false;
  }

  hasUnsavedChanges() { return Boolean(this.template && this.dirty); }

  /// Saves a pending draft before another template opens; false when that failed and the author stays.
  async confirmLeave() {
    if (!this.hasUnsavedChanges()) return true;
    this.saveSoon.cancel();
    return await this.saveDraft();
  }

  setState(text) { $("save-state").textContent = text; }

  // ---- locales and parts

  renderTabs() {
    const locales = Object.keys(this.texts);
    const localeTabs = locales.map((locale) => ({ id: `locale-${locale || "default"}`, label: locale || "Default", selected: locale === this.locale,
      select: () => { this.locale = locale; this.renderTabs(); this.showPart(); this.previewSoon(); this.previewSoon.now(); } }));
    clear($("locale-tabs"), tabButtons(localeTabs),
      h("button", { type: "button", class: "add-locale", onclick: () => this.addLocale() }, "+ Locale"));
    const parts = partsByType[this.template.type] || ["text"];
    clear($("part-tabs"), tabButtons(parts.map((part) => ({ id: `part-${part}`, label: partLabels[part], selected: part === this.part,
      marked: this.issues.some((i) => i.part === part && (i.locale || "") === this.locale),
      select: () => { this.part = part; this.renderTabs(); this.showPart(); } }))));
    $("editor-host").setAttribute("aria-labelledby", `part-${this.part}`);
  }

  async addLocale() {
    const locale = await prompt("Add a locale", "Locale code (for example de or fr-CA)");
    if (!locale) return;
    if (!/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/.test(locale)) { toast(`${locale} is not a locale code`); return; }
    if (!this.texts[locale]) {
      this.texts[locale] = Object.fromEntries((partsByType[this.template.type] || ["text"]).map((p) => [p, ""]));
    }
    this.locale = locale;
    this.renderTabs();
    this.showPart();
    this.previewSoon();
  }

  showPart() {
    const text = this.texts[this.locale]?.[this.part] ?? "";
    this.editor.mode = jsonParts.has(this.part) ? "json" : "mustache";
    this.editor.setLabel(`${partLabels[this.part]}${this.locale ? ` (${this.locale})` : ""}`);
    this.editor.setPlaceholder(this.locale ? `Empty: uses the default locale's ${partLabels[this.part].toLowerCase()}` : "");
    this.editor.value = text;
    this.showIssues();
  }

  showIssues() {
    const here = this.issues.filter((i) => i.part === this.part && (i.locale || "") === this.locale);
    this.editor.setIssues(here);
    clear($("issues"), this.issues.map((issue) => h("li", {}, h("button", {
      type: "button", class: "issue",
      onclick: () => this.goTo(issue),
    }, issue.line > 0 ? `${where(issue)} line ${issue.line}, column ${issue.column}: ${issue.detail || issue.message}` : `${where(issue)} ${issue.detail || issue.message}`))));
    for (const tab of $("part-tabs").querySelectorAll("[role=tab]")) {
      const part = tab.id.slice("part-".length);
      tab.classList.toggle("has-issue", this.issues.some((i) => i.part === part && (i.locale || "") === this.locale));
    }
  }

  goTo(issue) {
    if (issue.part && partsByType[this.template.type].includes(issue.part)) {
      this.locale = issue.locale || defaultLocale;
      this.part = issue.part;
      this.renderTabs();
      this.showPart();
    }
    if (issue.line > 0) this.editor.goTo(issue.line, issue.column);
  }

  // ---- editing, preview and drafts

  edited(text) {
    this.texts[this.locale][this.part] = text;
    this.dirty = true;
    this.setState("Editing…");
    this.previewSoon();
    this.saveSoon();
  }

  currentDocument() { return documentOf(this.template.type, this.texts); }

  async renderPreview() {
    if (!this.template) return;
    const sequence = ++this.previewSequence;
    const { subject, body, issues } = this.currentDocument();
    if (issues.length) { this.applyIssues(issues); this.preview.showErrors(issues); return; }
    const request = { tenantId: this.tenant.id, type: this.template.type, templateId: this.template.id, body,
      variables: this.variables.requestVariables() };
    if (subject !== undefined) request.subject = subject;
    if (this.locale) request.locale = this.locale;
    try {
      const { body: answer } = await api.preview(request);
      if (sequence !== this.previewSequence) return; // a newer edit is on its way
      if (answer.status === "error") {
        const found = structuredIssues(answer.issues, answer.errors);
        this.applyIssues(found);
        this.preview.showErrors(found);
        return;
      }
      this.applyIssues([]);
      this.lastPreview = answer.data;
      this.preview.show(this.template.type, answer.data);
      this.variables.showContext(answer.data);
    } catch (error) {
      if (sequence !== this.previewSequence) return;
      const found = error instanceof APIError ? structuredIssues(error.body.issues, []) : [];
      this.applyIssues(found.filter((i) => i.part));
      this.preview.showErrors(found.length ? found : [{ message: error.message }]);
    }
  }

  applyIssues(issues) {
    this.issues = issues;
    this.showIssues();
    document.body.dataset.issues = String(issues.length);
  }

  saveDraftNow() {
    if (!this.template) return;
    this.saveSoon.cancel();
    this.previewSoon.now();
    return this.saveDraft(true);
  }

  /// PUT the draft; answers whether it was stored.
  async saveDraft(announce = false) {
    if (!this.template) return true;
    const { subject, body, issues } = this.currentDocument();
    if (issues.length) { this.setState("Not saved: fix the JSON first"); return false; }
    const draft = { body };
    if (subject !== undefined) draft.subject = subject;
    try {
      const { body: answer } = await api.saveDraft(this.template.id, draft);
      this.dirty = false;
      this.hasDraft = true;
      const saved = answer?.data;
      this.setState(`Draft saved ${time(saved?.updatedAt)}${saved?.issues?.length ? ` · ${saved.issues.length} problem(s)` : ""}`);
      if (announce) toast("Draft saved");
      document.body.dataset.draftSaves = String(Number(document.body.dataset.draftSaves || 0) + 1);
      return true;
    } catch (error) {
      this.setState(`Draft not saved: ${error.message}`);
      return false;
    }
  }

  async publish() {
    if (!this.template) return;
    if (!this.dirty && !this.hasDraft) { toast("Nothing to publish: the editor shows the published template"); return; }
    this.saveSoon.cancel();
    this.previewSoon.now();
    if (!(await this.saveDraft())) { toast("Publishing needs a saved draft"); return; }
    await this.publishDraft(this.etag);
  }

  async publishDraft(etag) {
    try {
      const { body, etag: newTag } = await api.publish(this.template.id, etag);
      this.template = body.data || body;
      this.etag = newTag || this.etag;
      this.hasDraft = false;
      this.dirty = false;
      this.setState("Published");
      toast("Published");
      this.versions.reset();
      this.onChanged?.();
    } catch (error) {
      if (error instanceof APIError && error.status === 412) return this.conflict(() => this.publishDraft(null));
      if (error instanceof APIError && error.status === 400) {
        const found = structuredIssues(error.body.issues, []);
        this.applyIssues(found);
        toast("Not published: the draft has errors");
        return;
      }
      toast(`Not published: ${error.message}${issueText(error)}`);
    }
  }

  /// Someone else changed the template since it was opened: reload theirs, or overwrite it with ours.
  async conflict(overwrite) {
    const choice = await ask("This template changed elsewhere",
      h("p", {}, "Someone published or renamed it since you opened it. Reload to see their version (your draft stays saved as a draft), or overwrite theirs with yours."),
      [{ label: "Cancel", value: "cancel" }, { label: "Reload", value: "reload" }, { label: "Overwrite", value: "overwrite", kind: "danger" }]);
    if (choice === "reload") {
      const { body, etag } = await api.template(this.template.id);
      this.template = body.data || body;
      this.etag = etag;
      $("template-title").textContent = this.template.name;
      this.setState("Reloaded the published template; your changes are in the draft");
      this.versions.reset();
      this.onChanged?.();
    } else if (choice === "overwrite") {
      await overwrite();
    }
  }

  /// Back to the published template: the editor shows it and any draft is dropped.
  async reloadPublished() {
    try { await api.deleteDraft(this.template.id); } catch { /* none */ }
    this.dirty = false;
    await this.open(this.template.id);
  }

  // ---- rename and delete

  async rename(etag = this.etag, name = null) {
    const newName = name || await prompt("Rename template", "New name", this.template.name);
    if (!newName || newName === this.template.name) return;
    try {
      const { body, etag: newTag } = await api.rename(this.template.id, newName, etag);
      this.template = { ...this.template, ...(body.data || body) };
      this.etag = newTag || this.etag;
      $("template-title").textContent = this.template.name;
      toast(`Renamed to ${this.template.name}`);
      this.onChanged?.();
    } catch (error) {
      if (error instanceof APIError && error.status === 412) return this.conflict(() => this.rename(null, newName));
      toast(`Not renamed: ${error.message}${issueText(error)}`);
    }
  }

  async remove() {
    const name = this.template.name;
    const first = await ask(`Delete ${name}?`, h("p", {}, "The template, its versions and its draft are deleted."),
      [{ label: "Cancel", value: "cancel" }, { label: "Delete", value: "delete", kind: "danger" }]);
    if (first !== "delete") return;
    try {
      await api.remove(this.template.id, false);
    } catch (error) {
      if (!(error instanceof APIError && error.status === 409)) { toast(`Not deleted: ${error.message}`); return; }
      const users = error.body.usedBy || [];
      const second = await ask(`${name} is in use`, [
        h("p", {}, "These templates use it as a partial or layout, and would fail to render without it:"),
        h("ul", { id: "used-by" }, users.length ? users.map((u) => h("li", {}, `${u.name} (${u.type})`))
          : (error.body.issues || []).map((i) => h("li", {}, i.message))),
      ], [{ label: "Keep it", value: "cancel" }, { label: "Delete anyway", value: "force", kind: "danger" }]);
      if (second !== "force") return;
      try { await api.remove(this.template.id, true); } catch (again) { toast(`Not deleted: ${again.message}`); return; }
    }
    toast(`Deleted ${name}`);
    this.close();
    this.onDeleted?.();
  }
}

function where(issue) {
  const part = issue.part ? partLabels[issue.part] || issue.part : "";
  return [part, issue.locale ? `(${issue.locale})` : ""].filter(Boolean).join(" ") + (part ? ":" : "");
}

function time(iso) {
  const date = iso ? new Date(iso) : new Date();
  return Number.isNaN(date.getTime()) ? "" : date.toLocaleTimeString();
}

/// Tab buttons with roving focus (arrow keys move between them), as WAI-ARIA's tabs pattern.
function tabButtons(tabs) {
  const buttons = tabs.map((tab) => h("button", {
    type: "button", role: "tab", id: tab.id, "aria-selected": String(tab.selected), tabindex: tab.selected ? "0" : "-1",
    "aria-controls": "editor-host",
    class: tab.marked ? "has-issue" : "", onclick: tab.select,
  }, tab.label));
  for (const [index, button] of buttons.entries()) {
    button.addEventListener("keydown", (event) => {
      const step = event.key === "ArrowRight" ? 1 : event.key === "ArrowLeft" ? -1 : 0;
      if (!step) return;
      const next = buttons[(index + step + buttons.length) % buttons.length];
      next.focus();
      next.click();
    });
  }
  return buttons;
}

/// The side panel's static tabs.
function setUpTabs(list, onSelect) {
  const tabs = [...list.querySelectorAll("[role=tab]")];
  const select = (tab) => {
    for (const other of tabs) {
      const selected = other === tab;
      other.setAttribute("aria-selected", String(selected));
      other.tabIndex = selected ? 0 : -1;
      $(other.getAttribute("aria-controls")).hidden = !selected;
    }
    onSelect(tab.id);
  };
  for (const [index, tab] of tabs.entries()) {
    tab.addEventListener("click", () => select(tab));
    tab.addEventListener("keydown", (event) => {
      const step = event.key === "ArrowRight" ? 1 : event.key === "ArrowLeft" ? -1 : 0;
      if (!step) return;
      const next = tabs[(index + step + tabs.length) % tabs.length];
      next.focus();
      select(next);
    });
  }
}
