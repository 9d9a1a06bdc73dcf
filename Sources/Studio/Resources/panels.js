// The side panels of an open template: variables (sample data, tenant context, missing
// variables), versions (side-by-side diff per part, restore) and test send.
import { api, APIError, issueText } from "./api.js";
import { h, clear, debounce, ask, toast } from "./dom.js";
import { CodeEditor } from "./editor.js";
import { diffTable } from "./diff.js";
import { partsByType, textsOf } from "./document.js";

// Keys a real send fills from the tenant: the sample's own are sent only once the author edits them.
const contextKeys = ["tenant", "brand"];

export class VariablesPanel {
  constructor(element, workbench) {
    this.element = element;
    this.workbench = workbench;
    this.loaded = {};
    this.sample = new CodeEditor({ label: "Sample data (JSON)", mode: "json", onInput: () => this.edited(),
      describedBy: "sample-error" });
    this.sampleIssue = h("p", { class: "error", role: "alert", id: "sample-error" });
    this.missing = h("ul", { class: "chips", id: "missing-variables", "aria-label": "Missing variables" });
    this.context = h("pre", { class: "json", id: "context-variables", tabindex: "0", "aria-label": "Filled in by Herald" });
    this.saveButton = h("button", { type: "button", onclick: () => this.save() }, "Save sample data");
    this.previewSoon = debounce(() => this.workbench.renderPreview(), 300);
    clear(element,
      h("h3", {}, "Missing variables"),
      h("p", { class: "muted" }, "The template reads these but the data below lacks them. Choose one to add it."),
      this.missing,
      h("h3", {}, "Sample data"),
      h("p", { class: "muted" }, "Used by previews and test sends. tenant and brand come from your tenant unless you change them here."),
      this.sample.element, this.sampleIssue, this.saveButton,
      h("h3", {}, "Filled in by Herald"),
      h("p", { class: "muted" }, "The tenant and brand context a real send gets."),
      this.context);
  }

  async load(template) {
    let data = {};
    try { data = (await api.sample(template.id)).body?.data || {}; } catch { /* no sample yet */ }
    this.loaded = data;
    this.sample.value = JSON.stringify(data, null, 2);
    this.sampleIssue.textContent = "";
  }

  parsed() {
    try {
      const value = JSON.parse(this.sample.value || "{}");
      if (!value || typeof value !== "object" || Array.isArray(value)) throw new Error("sample data must be a JSON object");
      this.sampleIssue.textContent = "";
      this.sample.setIssues([]);
      return value;
    } catch (error) {
      this.sampleIssue.textContent = `Sample data: ${error.message}`;
      return null;
    }
  }

  /// The variables a preview or test sends: the sample, less the tenant context it was stored with.
  requestVariables() {
    const value = this.parsed() || this.loaded;
    const out = { ...value };
    for (const key of contextKeys) {
      if (key in out && JSON.stringify(out[key]) === JSON.stringify(this.loaded[key])) delete out[key];
    }
    return out;
  }

  edited() { if (this.parsed()) this.previewSoon(); }

  async save() {
    const value = this.parsed();
    if (!value) return;
    try {
      await api.saveSample(this.workbench.template.id, value);
      this.loaded = value;
      toast("Sample data saved");
    } catch (error) {
      toast(`Sample data not saved: ${error.message}${issueText(error)}`);
    }
  }

  showContext(data) {
    const merged = data.variables || {};
    const context = {};
    for (const key of contextKeys) if (merged[key] !== undefined) context[key] = merged[key];
    this.context.textContent = JSON.stringify(context, null, 2);
    clear(this.missing, (data.missingVariables || []).length === 0 ? h("li", { class: "muted" }, "None") :
      data.missingVariables.map((name) => h("li", {}, h("button", { type: "button", class: "chip", onclick: () => this.add(name) }, name))));
  }

  add(path) {
    const value = this.parsed();
    if (!value) return;
    let node = value;
    const keys = path.split(".");
    for (const key of keys.slice(0, -1)) {
      if (!node[key] || typeof node[key] !== "object") node[key] = {};
      node = node[key];
    }
    node[keys[keys.length - 1]] = `example ${keys[keys.length - 1]}`;
    this.sample.value = JSON.stringify(value, null, 2);
    this.workbench.renderPreview();
  }
}

export class VersionsPanel {
  constructor(element, workbench) {
    this.element = element;
    this.workbench = workbench;
    this.list = null;
  }

  reset() { this.list = null; clear(this.element); if (!this.element.hidden) this.load(); }

  async load() {
    if (this.list || !this.workbench.template) return;
    clear(this.element, h("p", { class: "muted" }, "Loading versions…"));
    try {
      this.list = (await api.versions(this.workbench.template.id)).body.data || [];
    } catch (error) {
      clear(this.element, h("p", { class: "error" }, `Versions: ${error.message}`));
      return;
    }
    this.diffHost = h("div", { id: "diff" });
    clear(this.element,
      h("h3", {}, "Published versions"),
      h("ol", { class: "versions", id: "version-list" }, this.list.map((version) => h("li", {},
        h("span", {}, `Version ${version.version}`, h("small", {}, ` ${new Date(version.createdAt).toLocaleString()}`)),
        h("button", { type: "button", "data-version": version.version, onclick: () => this.compare(version) }, "Compare"),
        h("button", { type: "button", "data-restore": version.version, onclick: () => this.restore(version) }, "Restore")))),
      this.diffHost);
  }

  /// Side by side, per locale and part: the version on the left, the editor on the right.
  compare(version) {
    const type = this.workbench.template.type;
    const old = textsOf(type, version.subject, version.body);
    const now = this.workbench.texts;
    const locales = [...new Set([...Object.keys(old), ...Object.keys(now)])];
    const tables = [];
    for (const locale of locales) {
      for (const part of partsByType[type] || ["text"]) {
        tables.push(diffTable(`${part}${locale ? ` (${locale})` : ""}`, old[locale]?.[part] ?? "", now[locale]?.[part] ?? "",
          `Version ${version.version}`, "Editor"));
      }
    }
    clear(this.diffHost, h("h3", { tabindex: "-1", id: "diff-title" }, `Version ${version.version} and the editor`), tables);
    this.diffHost.querySelector("#diff-title").focus();
  }

  async restore(version) {
    const answer = await ask(`Restore version ${version.version}?`,
      h("p", {}, "It becomes the published template (as a new version). Your draft, if any, is discarded."),
      [{ label: "Cancel", value: "cancel" }, { label: "Restore", value: "restore", kind: "primary" }]);
    if (answer !== "restore") return;
    try {
      await api.restore(this.workbench.template.id, version.version);
    } catch (error) {
      toast(`Not restored: ${error.message}${issueText(error)}`);
      return;
    }
    toast(`Restored version ${version.version}`);
    await this.workbench.reloadPublished();
  }
}

const addressLabels = { email: "Email address", sms: "Phone number (E.164)", push: "Device token", inapp: "User id", chat: "Recipient (optional)", webhook: "Recipient (optional)" };

export class TestPanel {
  constructor(element, workbench) {
    this.element = element;
    this.workbench = workbench;
    this.channels = null;
  }

  reset() { this.channels = null; clear(this.element); if (!this.element.hidden) this.load(); }

  async load() {
    if (this.channels || !this.workbench.template) return;
    const type = this.workbench.template.type;
    try {
      const { body } = await api.channels(this.workbench.tenant.id);
      this.channels = (body.data || []).filter((c) => c.type === type);
    } catch (error) {
      clear(this.element, h("p", { class: "error" }, `Channels: ${error.message}`));
      return;
    }
    this.channelSelect = h("select", { id: "test-channel", required: true },
      this.channels.map((c) => h("option", { value: c.id }, `${c.name} (${c.provider})`)));
    this.address = h("input", { id: "test-address", autocomplete: "off", required: !["chat", "webhook"].includes(type),
      type: type === "email" ? "email" : "text" });
    this.status = h("div", { id: "test-status", role: "status", "aria-live": "polite" });
    const form = h("form", { class: "test-form", onsubmit: (event) => { event.preventDefault(); this.send(); } },
      h("label", { for: "test-channel" }, "Channel"), this.channelSelect,
      h("label", { for: "test-address" }, addressLabels[type] || "Address"), this.address,
      h("button", { type: "submit", class: "primary", disabled: this.channels.length === 0 }, "Send test"));
    clear(this.element,
      this.channels.length ? null : h("p", { class: "muted" }, `This tenant has no ${type} channel.`),
      h("p", { class: "muted" }, "Sends the draft as it is in the editor, with the sample data."),
      form, this.status);
  }

  async send() {
    const workbench = this.workbench;
    if (!(await workbench.saveDraft())) { toast("Fix the draft before sending it"); return; }
    const address = this.address.value.trim();
    const input = address ? { to: [address] } : {};
    if (workbench.locale) input.locale = workbench.locale;
    clear(this.status, h("p", {}, "Sending…"));
    let id;
    try {
      const { body } = await api.test({ templateId: workbench.template.id, channelId: this.channelSelect.value,
        variables: workbench.variables.requestVariables(), input, draft: true });
      id = body.data?.notificationId;
    } catch (error) {
      clear(this.status, h("p", { class: "error" }, `Not sent: ${error.message}${issueText(error)}`));
      return;
    }
    if (!id) { clear(this.status, h("p", {}, "Rendered, nothing queued.")); return; }
    await this.watch(id);
  }

  /// Polls the notification until it is settled (or a minute passes), showing each attempt.
  async watch(id) {
    const settled = new Set(["sent", "delivered", "failed", "cancelled", "suppressed", "bounced"]);
    for (let round = 0; round < 120; round++) {
      let notification;
      try { notification = (await api.notification(id)).body; } catch (error) {
        if (error instanceof APIError && error.status === 404) return;
        clear(this.status, h("p", { class: "error" }, error.message));
        return;
      }
      notification = notification.data || notification;
      const attempts = notification.deliveryAttempts || notification.attempts || [];
      clear(this.status,
        h("p", {}, "Notification ", h("code", {}, id), ": ", h("strong", { id: "test-state", "data-status": notification.status }, notification.status)),
        h("ol", { class: "attempts", id: "test-attempts" }, attempts.map((a) => h("li", {},
          `Attempt ${a.attempt ?? ""}: ${a.status || a.outcome || ""}${a.error ? ` — ${a.error}` : ""}${a.providerMessageId ? ` (${a.providerMessageId})` : ""}`))));
      if (settled.has(notification.status)) return;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}
