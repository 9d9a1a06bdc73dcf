// The preview panel: what the preview endpoint rendered, shown as the recipient sees it.
// Email HTML goes into a sandboxed frame (no scripts, no same origin: a script in a template
// can neither run nor reach this page).
import { h, clear } from "./dom.js";

export class PreviewPanel {
  constructor(element) {
    this.element = element;
    this.width = "desktop";
  }

  showPending(message) {
    clear(this.element, h("p", { class: "muted", id: "preview-state" }, message));
  }

  /// Errors: keep the last good render, dimmed, under the list of problems.
  showErrors(issues) {
    this.element.classList.add("stale");
    let banner = this.element.querySelector("#preview-errors");
    if (!banner) {
      banner = h("div", { id: "preview-errors", class: "preview-errors", role: "alert" });
      this.element.prepend(banner);
    }
    clear(banner, h("strong", {}, "Not rendered:"), h("ul", {}, issues.map((issue) => h("li", {}, issue.message))));
  }

  show(type, data) {
    this.element.classList.remove("stale");
    const rendered = data.rendered || {};
    const missing = data.missingVariables || [];
    const head = h("p", { class: "muted", id: "preview-state" },
      `Locale ${data.locale || "default"}`, missing.length ? ` · ${missing.length} missing variable${missing.length > 1 ? "s" : ""}` : "");
    clear(this.element, head, this.body(type, rendered, data));
  }

  body(type, rendered, data) {
    switch (type) {
      case "email": return this.email(rendered);
      case "sms": return this.sms(rendered.text || "", data.sms);
      case "push": return h("div", { class: "push-card", role: "group", "aria-label": "Push notification" },
        h("div", { class: "push-app" }, "Notification"),
        h("strong", { class: "push-title" }, rendered.title || ""),
        h("p", { class: "push-text" }, rendered.text || ""),
        rendered.data !== undefined && rendered.data !== null
          ? h("details", {}, h("summary", {}, "Data"), h("pre", { class: "json" }, JSON.stringify(rendered.data, null, 2))) : null);
      case "webhook": return h("pre", { class: "json", id: "preview-json", tabindex: "0", "aria-label": "Webhook payload" },
        JSON.stringify(rendered.json, null, 2));
      default: return h("div", { class: "bubble", id: "preview-text" }, rendered.text || "");
    }
  }

  email(rendered) {
    const frame = h("iframe", {
      id: "preview-frame", class: `frame ${this.width}`, title: "Email HTML preview",
      sandbox: "", referrerpolicy: "no-referrer", loading: "eager",
    });
    // srcdoc, not a URL: the HTML never leaves the page; sandbox="" turns off scripts,
    // forms, popups and same-origin access.
    frame.srcdoc = rendered.html || "";
    const box = h("div", { class: "frame-box" }, frame);
    // A desktop client shows the email 680 px wide: narrower panes get it scaled down, not cut off.
    const fit = () => {
      const scale = this.width === "desktop" ? Math.min(1, (box.clientWidth - 20) / 680) : 1;
      frame.style.transform = scale < 1 ? `scale(${scale})` : "";
      frame.style.marginBottom = scale < 1 ? `${-(1 - scale) * frame.offsetHeight}px` : "";
    };
    this.resizeObserver?.disconnect();
    this.resizeObserver = new ResizeObserver(fit);
    this.resizeObserver.observe(box);
    const widths = h("div", { class: "segmented", role: "group", "aria-label": "Preview width" },
      ["desktop", "phone"].map((width) => h("button", {
        type: "button", "aria-pressed": String(this.width === width),
        onclick: () => {
          this.width = width;
          frame.className = `frame ${width}`;
          fit();
          for (const button of widths.children) button.setAttribute("aria-pressed", String(button.textContent.toLowerCase() === width));
        },
      }, width === "desktop" ? "Desktop" : "Phone")));
    return h("div", { class: "email-preview" },
      h("dl", { class: "envelope" }, h("dt", {}, "Subject"), h("dd", { id: "preview-subject" }, rendered.subject || "")),
      widths,
      box,
      h("details", { class: "text-part" }, h("summary", {}, "Text part"), h("pre", { id: "preview-text" }, rendered.text || "")));
  }

  sms(text, counted) {
    // The server measures the rendered text (Rendering's SMSMeasure), so the page keeps no second
    // copy of the GSM-7 alphabet.
    counted ??= { encoding: "", length: text.length, segments: 0, ucs2Characters: [] };
    return h("div", { class: "sms-preview" },
      h("div", { class: "bubble", id: "preview-text" }, text),
      h("dl", { class: "sms-facts", "aria-label": "SMS length" },
        h("dt", {}, "Encoding"), h("dd", { id: "sms-encoding" }, counted.encoding),
        h("dt", {}, "Length"), h("dd", { id: "sms-length" }, String(counted.length)),
        h("dt", {}, "Segments"), h("dd", { id: "sms-segments" }, String(counted.segments)),
        counted.ucs2Characters?.length ? [h("dt", {}, "Forces UCS-2"), h("dd", { id: "sms-ucs2" },
          counted.ucs2Characters.map((c) => h("code", {}, c)))] : null));
  }
}
