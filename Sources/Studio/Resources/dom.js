// A tiny element builder: h("button", {onclick, class: "x"}, "text", child…).
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else if (name === "class") element.className = value;
    else if (name in element && typeof value !== "string") element[name] = value;
    else element.setAttribute(name, value === true ? "" : value);
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export const $ = (id) => document.getElementById(id);

export function clear(element, ...children) {
  element.replaceChildren();
  append(element, children);
  return element;
}

/// Calls `fn` once `wait` ms after the last call; `.now()` runs a pending call at once.
export function debounce(fn, wait) {
  let timer = null;
  let pending = null;
  const debounced = (...args) => {
    pending = args;
    clearTimeout(timer);
    timer = setTimeout(() => { timer = null; const a = pending; pending = null; fn(...a); }, wait);
  };
  debounced.now = () => {
    if (timer === null) return;
    clearTimeout(timer); timer = null;
    const a = pending; pending = null; fn(...a);
  };
  debounced.cancel = () => { clearTimeout(timer); timer = null; pending = null; };
  return debounced;
}

let toastTimer = null;
export function toast(message) {
  const element = $("toast");
  element.textContent = message;
  element.classList.add("shown");
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => element.classList.remove("shown"), 4000);
}

/// A modal dialog with buttons; resolves with the value of the button chosen (or "cancel").
export function ask(title, body, buttons) {
  const dialog = $("dialog");
  $("dialog-title").textContent = title;
  clear($("dialog-body"), body);
  clear($("dialog-actions"), buttons.map(({ label, value, kind }) =>
    h("button", { value, class: kind || "", type: "submit", formnovalidate: value === "cancel" }, label)));
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue || "cancel"), { once: true });
    dialog.returnValue = "";
    dialog.showModal();
  });
}

/// A dialog with one text field; resolves with its value, or null when cancelled.
export async function prompt(title, label, value = "") {
  const input = h("input", { id: "dialog-input", value, autocomplete: "off", required: true });
  const body = [h("label", { for: "dialog-input" }, label), input];
  const answer = await ask(title, body, [{ label: "Cancel", value: "cancel" }, { label: "OK", value: "ok", kind: "primary" }]);
  return answer === "ok" && input.value.trim() ? input.value.trim() : null;
}
