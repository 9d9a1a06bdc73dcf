// The studio's entry point: sign-in, the template list and the keyboard shortcut; the open
// template is the Workbench's.
import { api, storedKeys, storeKeys, forgetKeys, APIError, issueText } from "./api.js";
import { $, h, clear, ask, toast } from "./dom.js";
import { Workbench } from "./workbench.js";

const state = { tenant: null, templates: [], selectedId: null };
const workbench = new Workbench({
  onChanged: () => refreshList(),
  onDeleted: () => { state.selectedId = null; refreshList(); },
});
// Tests and people debugging read the page's state here (never the keys).
window.heraldStudio = { state, workbench };

async function signIn(keys) {
  const { body } = await api.tenantOfKey(keys);
  const tenant = body.data || body;
  if (!tenant || !tenant.id) throw new Error("This key pair names no tenant");
  state.tenant = tenant;
  storeKeys(keys);
  $("tenant-name").textContent = tenant.name || tenant.id;
  $("signin").hidden = true;
  $("workspace").hidden = false;
  $("sign-out").hidden = false;
  workbench.tenant = tenant;
  await refreshList();
  $("search").focus();
}

function showSignIn(message = "") {
  $("workspace").hidden = true;
  $("sign-out").hidden = true;
  $("signin").hidden = false;
  $("tenant-name").textContent = "";
  $("signin-error").textContent = message;
  $("public-key").focus();
}

$("signin-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const keys = { publicKey: $("public-key").value.trim(), secretKey: $("secret-key").value.trim() };
  $("signin-error").textContent = "";
  try {
    await signIn(keys);
    $("secret-key").value = "";
  } catch (error) {
    $("signin-error").textContent = error instanceof APIError && error.status === 401
      ? "These keys were not accepted." : `Could not sign in: ${error.message}`;
  }
});

$("sign-out").addEventListener("click", () => {
  forgetKeys();
  workbench.close();
  state.tenant = null;
  showSignIn();
});

async function refreshList() {
  if (!state.tenant) return;
  try {
    state.templates = await api.templates(state.tenant.id);
  } catch (error) {
    toast(`Could not list templates: ${error.message}`);
  }
  renderList();
}

function renderList() {
  const type = $("type-filter").value;
  const query = $("search").value.trim().toLowerCase();
  const shown = state.templates
    .filter((t) => (!type || t.type === type) && (!query || t.name.toLowerCase().includes(query)))
    .sort((a, b) => a.type.localeCompare(b.type) || a.name.localeCompare(b.name));
  const groups = new Map();
  for (const template of shown) {
    if (!groups.has(template.type)) groups.set(template.type, []);
    groups.get(template.type).push(template);
  }
  clear($("template-list"), shown.length === 0 ? h("li", { class: "muted" }, "No templates match.") : [...groups].map(([group, items]) =>
    h("li", { class: "group" }, h("h3", { id: `group-${group}` }, group),
      h("ul", { "aria-labelledby": `group-${group}` }, items.map((template) => h("li", {},
        h("button", {
          type: "button", class: "template-item", "data-id": template.id, "data-name": template.name,
          "aria-current": template.id === state.selectedId ? "true" : false,
          onclick: () => open(template.id),
        }, template.name)))))));
}

async function open(id) {
  if (!(await workbench.confirmLeave())) return;
  state.selectedId = id;
  renderList();
  await workbench.open(id);
}

$("type-filter").addEventListener("change", renderList);
$("search").addEventListener("input", renderList);

const starterBodies = {
  email: { subject: "Hello {{user.name}}", body: { html: "<p>Hello {{user.name}},</p>\n<p>Welcome to {{tenant.name}}.</p>" } },
  sms: { body: { text: "Your code for {{tenant.name}} is {{code}}" } },
  inapp: { body: { text: "Hello {{user.name}}" } },
  chat: { body: { text: "Hello from {{tenant.name}}" } },
  push: { body: { title: "{{tenant.name}}", text: "Hello {{user.name}}" } },
  webhook: { body: { json: { event: "hello", tenant: "{{tenant.name}}" } } },
};

$("new-template").addEventListener("click", async () => {
  const nameInput = h("input", { id: "new-name", required: true, autocomplete: "off" });
  const typeSelect = h("select", { id: "new-type" }, Object.keys(starterBodies).map((t) => h("option", {}, t)));
  if ($("type-filter").value) typeSelect.value = $("type-filter").value;
  const answer = await ask("New template", [
    h("label", { for: "new-name" }, "Name"), nameInput,
    h("label", { for: "new-type" }, "Type"), typeSelect,
  ], [{ label: "Cancel", value: "cancel" }, { label: "Create", value: "ok", kind: "primary" }]);
  if (answer !== "ok" || !nameInput.value.trim()) return;
  try {
    const { body } = await api.create(state.tenant.id, { name: nameInput.value.trim(), type: typeSelect.value, ...starterBodies[typeSelect.value] });
    const created = body.data || body;
    await refreshList();
    await open(created.id);
  } catch (error) {
    toast(`Could not create the template: ${error.message}${issueText(error)}`);
  }
});

// Ctrl+S / Cmd+S saves the draft instead of the browser's "save page".
document.addEventListener("keydown", (event) => {
  if ((event.ctrlKey || event.metaKey) && !event.altKey && event.key.toLowerCase() === "s") {
    event.preventDefault();
    workbench.saveDraftNow();
  }
});

window.addEventListener("beforeunload", (event) => {
  if (workbench.hasUnsavedChanges()) event.preventDefault();
});

const keys = storedKeys();
if (keys) signIn(keys).catch(() => { forgetKeys(); showSignIn("Your session has ended; sign in again."); });
else showSignIn();
