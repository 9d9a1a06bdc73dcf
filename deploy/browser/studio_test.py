#!/usr/bin/env python3
"""The template studio in headless Chromium (selenium), against the Herald that
deploy/test-browser.sh started: the scenarios of issue 12, each a function, run in order
against one signed-in page. Screenshots of each main view go to STUDIO_OUT; the first load's
transfer is printed. Exits non-zero on the first failed scenario.

Environment: STUDIO_BASE, STUDIO_TENANT_ID, STUDIO_PUBLIC_KEY, STUDIO_SECRET_KEY, STUDIO_OUT.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

BASE = os.environ["STUDIO_BASE"]
TENANT = os.environ["STUDIO_TENANT_ID"]
PUBLIC_KEY = os.environ["STUDIO_PUBLIC_KEY"]
SECRET_KEY = os.environ["STUDIO_SECRET_KEY"]
OUT = os.environ.get("STUDIO_OUT", ".build/browser")
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TENANT_NAME = "Studio Test Tenant"


def api(method, path, body=None, headers=None):
    """The public API with the tenant's key pair: (status, JSON or None, headers)."""
    request = urllib.request.Request(BASE + "/api/v0" + path, method=method,
                                     data=None if body is None else json.dumps(body).encode())
    request.add_header("x-protocol-public-key", PUBLIC_KEY)
    request.add_header("x-protocol-secret-key", SECRET_KEY)
    if body is not None:
        request.add_header("Content-Type", "application/json")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            text = response.read()
            return response.status, json.loads(text) if text else None, response.headers
    except urllib.error.HTTPError as error:
        text = error.read()
        return error.code, json.loads(text) if text else None, error.headers


def template_by_name(name, type_):
    status, body, _ = api("GET", f"/tenants/{TENANT}/notifications/templates?type={type_}&perPage=100")
    assert status == 200, body
    found = [t for t in body["data"] if t["name"] == name]
    assert found, f"no {type_} template {name}"
    return found[0]


def published(template_id):
    status, body, _ = api("GET", f"/notifications/templates/{template_id}")
    assert status == 200, body
    return body.get("data", body)


class Studio:
    def __init__(self):
        options = Options()
        options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
        for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                         "--window-size=1280,800", "--lang=en-US", "--disable-extensions",
                         "--disable-background-networking", "--no-first-run"):
            options.add_argument(argument)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        self.profile = tempfile.mkdtemp(prefix="herald-chromium-")
        options.add_argument(f"--user-data-dir={self.profile}")
        service = Service(executable_path=shutil.which("chromedriver") or "/usr/bin/chromedriver")
        self.driver = webdriver.Chrome(options=options, service=service)
        self.viewport(1280, 800)

    def viewport(self, width, height):
        """Sizes the page itself (not the window around it) as a screen of that size shows it."""
        self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600})

    def quit(self):
        self.driver.quit()
        shutil.rmtree(self.profile, ignore_errors=True)

    def find(self, selector):
        return self.driver.find_element(By.CSS_SELECTOR, selector)

    def wait(self, condition, timeout=10, message=""):
        return WebDriverWait(self.driver, timeout, poll_frequency=0.05).until(lambda d: condition(), message)

    def wait_text(self, selector, expected, timeout=10):
        self.wait(lambda: expected in self.text(selector), timeout, f"{selector} never contained {expected!r}")

    def text(self, selector):
        """textContent read in one script call: the page replaces elements as it renders."""
        return self.js("const e = document.querySelector(arguments[0]); return e ? e.textContent : '';", selector)

    def js(self, script, *args):
        return self.driver.execute_script(script, *args)

    def shot(self, name):
        path = os.path.join(OUT, f"{name}.png")
        self.driver.save_screenshot(path)
        return path

    def srcdoc(self):
        return self.js("const f = document.getElementById('preview-frame'); return f ? f.srcdoc : '';")

    def preview_text(self):
        return self.text("#preview-text")

    def editor(self):
        return self.find("#editor-host textarea")

    def set_editor(self, text):
        """Replaces the part's text as a paste would (one input event)."""
        self.js("const t = arguments[0]; t.value = arguments[1]; t.dispatchEvent(new Event('input', {bubbles: true}));",
                self.editor(), text)

    def open_template(self, name):
        self.find(f'.template-item[data-name="{name}"]').click()
        self.wait_text("#template-title", name)

    def ensure_open(self, name):
        if self.find("#template-title").get_attribute("textContent") != name or self.find("#editor-main").get_attribute("hidden") is not None:
            self.open_template(name)
            self.wait(lambda: self.srcdoc() or self.driver.find_elements(By.CSS_SELECTOR, "#preview-errors"), 10, "no preview")

    def tab(self, id_):
        self.find(f"#{id_}").click()

    def answer_dialog(self, value):
        self.wait(lambda: self.js("return document.getElementById('dialog').open"), 5, "no dialog")
        self.find(f'#dialog-actions button[value="{value}"]').click()


def first_load(studio):
    studio.driver.get(BASE + "/studio")
    studio.wait(lambda: studio.js("return document.readyState") == "complete")
    studio.wait(lambda: studio.find("#public-key").is_displayed(), 10, "no sign-in form")
    entries = studio.js("""
        const nav = performance.getEntriesByType('navigation')[0];
        const assets = performance.getEntriesByType('resource').filter((e) => e.name.includes('/studio/'));
        return [{name: nav.name, transfer: nav.transferSize, body: nav.encodedBodySize}]
            .concat(assets.map((e) => ({name: e.name, transfer: e.transferSize, body: e.encodedBodySize})));""")
    total = sum(e["transfer"] for e in entries)
    bodies = sum(e["body"] for e in entries)
    print(f"    first load: {total} bytes transferred ({bodies} bytes of bodies) in {len(entries)} responses "
          f"(shell and {len(entries) - 1} assets)")
    for entry in entries:
        print(f"      {entry['transfer']:7d}  {entry['name'].replace(BASE, '')}")
    assert len(entries) >= 10, entries
    assert 0 < total < 200 * 1024, f"first load is {total} bytes"
    with open(os.path.join(OUT, "first-load.json"), "w") as f:
        json.dump({"totalTransferBytes": total, "bodyBytes": bodies, "responses": entries}, f, indent=1)
    studio.shot("1-sign-in")


def sign_in(studio):
    studio.find("#public-key").send_keys(PUBLIC_KEY)
    studio.find("#secret-key").send_keys(SECRET_KEY + Keys.ENTER)
    studio.wait_text("#tenant-name", TENANT_NAME)
    studio.wait(lambda: studio.driver.find_elements(By.CSS_SELECTOR, '.template-item[data-name="organization-invitation"]'))
    # The keys are in sessionStorage and nowhere else the page keeps state.
    stored = studio.js("return sessionStorage.getItem('herald.studio.keys')")
    assert PUBLIC_KEY in stored and SECRET_KEY in stored
    assert studio.js("return localStorage.length") == 0 and studio.js("return document.cookie") == ""
    assert SECRET_KEY not in studio.driver.current_url


def invitation_shows_tenant(studio):
    studio.open_template("organization-invitation")
    studio.wait(lambda: TENANT_NAME in studio.srcdoc(), 10, "the preview never named the tenant")
    studio.wait_text("#preview-subject", "Kanzlei")
    studio.shot("2-editor-email")


def unclosed_section_marked(studio):
    """An inverted section left open on the text part's last line: that line is marked within a
    second of typing."""
    studio.ensure_open("organization-invitation")
    studio.tab("part-text")
    studio.state["before"] = studio.preview_text()
    area = studio.editor()
    area.click()
    area.send_keys(Keys.CONTROL, Keys.END)
    area.send_keys("{{^studioFlag}}")
    typed = time.monotonic()
    line = str(len(area.get_attribute("value").split("\n")))
    try:
        studio.wait(lambda: studio.driver.find_elements(By.CSS_SELECTOR, ".gutter .error-line"), 1.0,
                    "no line marked within a second")
    finally:
        print(f"    error marked {time.monotonic() - typed:.3f} s after the last keystroke")
    marked = [e.text for e in studio.driver.find_elements(By.CSS_SELECTOR, ".gutter .error-line")]
    issues = studio.find("#issues").text
    assert marked == [line], f"marked lines {marked}, typed on {line}; issues: {issues}"
    assert f"line {line}" in issues and "unclosed section" in issues, issues
    assert studio.driver.find_elements(By.CSS_SELECTOR, ".marks .mark-column")
    assert studio.editor().get_attribute("aria-invalid") == "true"
    studio.shot("3-error-marked")


def fix_changes_preview(studio):
    studio.editor().send_keys("Studio was here{{/studioFlag}}")
    studio.wait(lambda: "Studio was here" in studio.preview_text(), 5, "the fixed template never rendered")
    studio.wait(lambda: not studio.driver.find_elements(By.CSS_SELECTOR, ".gutter .error-line"), 5, "the mark stayed")
    assert studio.preview_text() != studio.state["before"]
    assert studio.editor().get_attribute("aria-invalid") == "false"


def switch_to_german(studio):
    studio.tab("locale-de")
    studio.wait_text("#preview-state", "Locale de")
    studio.wait(lambda: "eingeladen" in studio.srcdoc() or "Einladung" in studio.srcdoc(), 5, "no German preview")
    german = studio.editor().get_attribute("value")
    assert "eingeladen" in german or "Einladung" in german, german[:200]
    studio.shot("4-locale-de")
    studio.tab("locale-default")
    studio.wait(lambda: "Studio was here" in studio.preview_text(), 5)


def draft_is_not_live(studio):
    template = template_by_name("organization-invitation", "email")
    studio.editor().send_keys(Keys.CONTROL, "s")
    studio.wait_text("#save-state", "Draft saved")
    live = published(template["id"])
    assert "Studio was here" not in json.dumps(live["body"]), "the draft went live"
    status, draft, _ = api("GET", f"/notifications/templates/{template['id']}/draft")
    assert status == 200 and "Studio was here" in json.dumps(draft["data"]["body"]), draft


def sms_segments(studio):
    studio.find("#new-template").click()
    studio.wait(lambda: studio.js("return document.getElementById('dialog').open"))
    studio.find("#new-name").send_keys("studio-sms")
    studio.js("const s = document.getElementById('new-type'); s.value = 'sms';")
    studio.answer_dialog("ok")
    studio.wait_text("#template-title", "studio-sms")
    studio.wait(lambda: studio.driver.find_elements(By.CSS_SELECTOR, "#sms-segments"), 10, "no SMS preview")
    studio.set_editor("a" * 161)
    studio.wait_text("#sms-length", "161")
    assert studio.text("#sms-encoding") == "GSM-7"
    assert studio.text("#sms-segments") == "2"
    studio.set_editor("a" * 60 + "\U0001F600")
    studio.wait_text("#sms-encoding", "UCS-2")
    studio.wait_text("#sms-ucs2", "\U0001F600")
    assert studio.text("#sms-segments") == "1"
    studio.set_editor("a" * 69 + "\U0001F600")  # 71 UTF-16 units: over 70, so two UCS-2 parts
    studio.wait_text("#sms-length", "71")
    assert studio.text("#sms-segments") == "2"
    studio.shot("5-sms")


def publish_diff_restore(studio):
    template = template_by_name("studio-sms", "sms")
    original = published(template["id"])["body"]
    studio.set_editor("Your code is {{code}}. Published by the studio.")
    studio.find("#publish").click()
    studio.wait_text("#save-state", "Published")
    assert "Published by the studio" in json.dumps(published(template["id"])["body"])
    studio.tab("tab-versions")
    studio.wait(lambda: len(studio.driver.find_elements(By.CSS_SELECTOR, "#version-list li")) >= 2, 10, "no versions")
    versions = [int(b.get_attribute("data-version")) for b in studio.driver.find_elements(By.CSS_SELECTOR, "[data-version]")]
    oldest = min(versions)
    studio.find(f'[data-version="{oldest}"]').click()
    studio.wait(lambda: studio.driver.find_elements(By.CSS_SELECTOR, ".diff tr.added, .diff tr.removed"), 5, "no diff")
    removed = " ".join(e.text for e in studio.driver.find_elements(By.CSS_SELECTOR, ".diff tr.removed td:first-child"))
    added = " ".join(e.text for e in studio.driver.find_elements(By.CSS_SELECTOR, ".diff tr.added td:last-child"))
    assert "Published by the studio" in added, added
    assert "{{tenant.name}}" in removed, removed
    studio.shot("6-versions-diff")
    studio.find(f'[data-restore="{oldest}"]').click()
    studio.answer_dialog("restore")
    studio.wait(lambda: published(template["id"])["body"] == original, 10, "not restored")
    studio.wait(lambda: "Published by the studio" not in studio.editor().get_attribute("value"), 10, "the editor kept the old text")
    studio.tab("tab-preview")


def publish_conflict_offers_overwrite(studio):
    """Someone else publishes while the studio has the template open: Publish says so (412) and
    Overwrite publishes the studio's text."""
    template = template_by_name("studio-sms", "sms")
    status, body, _ = api("PUT", f"/notifications/templates/{template['id']}", {"body": {"text": "Changed elsewhere {{code}}"}})
    assert status == 200, body
    studio.set_editor("Mine wins {{code}}")
    studio.find("#publish").click()
    studio.wait_text("#dialog-title", "changed elsewhere")
    studio.shot("6b-conflict")
    studio.answer_dialog("overwrite")
    studio.wait(lambda: "Mine wins" in json.dumps(published(template["id"])["body"]), 10, "overwrite did not publish")
    studio.wait_text("#save-state", "Published")


def test_send_reaches_smtp(studio):
    mail_dir = tempfile.mkdtemp(prefix="herald-browser-smtp-")
    smtp = subprocess.Popen([sys.executable, os.path.join(ROOT, "deploy/test-peers/smtp_server.py"), "--dir", mail_dir,
                             "--max-seconds", "300"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        port = int(smtp.stdout.readline().split()[1])
        status, body, _ = api("POST", "/notifications/channels", {
            "tenantId": TENANT, "name": "Loopback SMTP", "key": "loopback-smtp", "type": "email", "provider": "email_pxyz",
            "providerSettings": {"host": "127.0.0.1", "port": port, "security": "none", "from": "studio@herald.test"}})
        assert status == 200, body
        studio.open_template("organization-invitation")
        studio.wait(lambda: "Studio was here" in studio.preview_text(), 10, "the draft did not open")
        studio.tab("tab-test")
        studio.wait(lambda: studio.driver.find_elements(By.CSS_SELECTOR, "#test-address"), 10, "no test form")
        studio.find("#test-address").send_keys("author@studio.test")
        studio.find(".test-form button[type=submit]").click()
        studio.wait(lambda: studio.js("const s = document.getElementById('test-state'); return s && s.dataset.status") == "sent",
                    60, "the test send never reached 'sent'")
        assert "Attempt" in studio.find("#test-attempts").text
        messages = [json.loads(line) for line in open(os.path.join(mail_dir, "messages.jsonl"))]
        assert len(messages) == 1 and messages[0]["rcpt_tos"] == ["author@studio.test"], messages
        contents = " ".join(str(part["content"]) for part in messages[0]["parsed"]["parts"])
        assert "Studio was here" in contents and TENANT_NAME in contents, "the mail is not the draft's"
        studio.shot("7-test-send")
        studio.tab("tab-preview")
    finally:
        smtp.stdin.close()
        smtp.terminate()
        smtp.wait(10)
        shutil.rmtree(mail_dir, ignore_errors=True)


def script_does_not_run(studio):
    """A template's <script> and inline handler would mark the parent page; the sandbox stops both."""
    html = ("<p>Scripted template</p><script>parent.document.body.dataset.pwned = 'script'; window.top.pwned = 1;</script>"
            "<img src=\"data:,\" onerror=\"parent.document.body.dataset.pwned = 'handler'\">")
    status, body, _ = api("POST", "/notifications/templates", {"tenantId": TENANT, "name": "studio-script", "type": "email",
                                                              "subject": "Scripted", "body": {"html": html}})
    assert status == 200, body
    studio.driver.refresh()
    studio.wait(lambda: studio.driver.find_elements(By.CSS_SELECTOR, '.template-item[data-name="studio-script"]'), 10)
    studio.open_template("studio-script")
    studio.wait(lambda: "<script>" in studio.srcdoc(), 10, "no preview of the scripted template")
    frame = studio.find("#preview-frame")
    assert frame.get_attribute("sandbox") == "", "the frame is not fully sandboxed"
    studio.driver.switch_to.frame(frame)
    WebDriverWait(studio.driver, 5).until(lambda d: "Scripted template" in d.find_element(By.TAG_NAME, "body").text)
    studio.driver.switch_to.default_content()
    time.sleep(0.3)  # give a script that could run the time to run; the frame has loaded already
    assert studio.js("return document.body.dataset.pwned") is None, "a template script ran in the studio"
    assert studio.js("return window.pwned") is None


def delete_in_use_asks_twice(studio):
    """Deleting the layout the other emails use names them and needs a second yes; "Keep it" keeps it."""
    layout = template_by_name("email-layout", "email")
    studio.open_template("email-layout")
    studio.find("#delete").click()
    studio.answer_dialog("delete")
    studio.wait(lambda: "organization-invitation" in studio.text("#used-by"), 10, "the users were not listed")
    studio.shot("9-delete-in-use")
    studio.answer_dialog("cancel")
    status, _, _ = api("GET", f"/notifications/templates/{layout['id']}")
    assert status == 200, "the layout was deleted"


def phone_layout(studio):
    studio.viewport(390, 844)
    studio.open_template("organization-invitation")
    studio.wait(lambda: "Accept invitation" in studio.srcdoc(), 10)
    width = studio.js("return [document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1] + 1, f"the page scrolls sideways at 390 px: {width}"
    studio.shot("8-phone")
    studio.viewport(1280, 800)


def controls_are_labelled(studio):
    """Every visible control has a name a screen reader can say, and Tab reaches the editor."""
    unnamed = studio.js("""
        const named = (e) => (e.labels && e.labels.length) || e.getAttribute('aria-label') || e.getAttribute('aria-labelledby')
            || (e.tagName === 'BUTTON' && e.textContent.trim());
        return [...document.querySelectorAll('input, select, textarea, button')]
            .filter((e) => e.offsetParent !== null && !named(e)).map((e) => e.outerHTML.slice(0, 80));""")
    assert not unnamed, unnamed
    studio.find("#search").click()
    for _ in range(60):
        studio.driver.switch_to.active_element.send_keys(Keys.TAB)
        if studio.js("return document.activeElement.classList.contains('source')"):
            break
    else:
        raise AssertionError("Tab never reached the editor")


def assets_come_from_cache(studio):
    studio.driver.get(BASE + "/studio")
    studio.wait_text("#tenant-name", TENANT_NAME)
    transfers = studio.js("""return performance.getEntriesByType('resource')
        .filter((e) => e.name.includes('/studio/assets/')).map((e) => e.transferSize);""")
    assert transfers and all(size == 0 for size in transfers), f"assets fetched again: {transfers}"


def no_policy_violations(studio):
    violations = [entry for entry in studio.driver.get_log("browser")
                  if "Content Security Policy" in entry["message"] and "about:srcdoc" not in entry["message"]]
    assert not violations, violations


SCENARIOS = [first_load, sign_in, invitation_shows_tenant, unclosed_section_marked, fix_changes_preview,
             switch_to_german, draft_is_not_live, sms_segments, publish_diff_restore,
             publish_conflict_offers_overwrite, test_send_reaches_smtp,
             script_does_not_run, delete_in_use_asks_twice, phone_layout,
             controls_are_labelled, assets_come_from_cache, no_policy_violations]


def main():
    os.makedirs(OUT, exist_ok=True)
    global SCENARIOS
    if os.environ.get("STUDIO_ONLY"):
        wanted = os.environ["STUDIO_ONLY"].split(",")
        SCENARIOS = [s for s in SCENARIOS if s.__name__ in wanted]
    studio = Studio()
    studio.state = {}
    passed = failed = 0
    try:
        for scenario in SCENARIOS:
            started = time.monotonic()
            try:
                scenario(studio)
                passed += 1
                print(f"ok    {scenario.__name__} ({time.monotonic() - started:.1f} s)", flush=True)
            except (AssertionError, TimeoutException, Exception) as error:
                failed += 1
                print(f"FAIL  {scenario.__name__}: {error}", flush=True)
                traceback.print_exc()
                try:
                    studio.shot(f"failed-{scenario.__name__}")
                except Exception:
                    pass
                break
    finally:
        studio.quit()
    skipped = len(SCENARIOS) - passed - failed
    print(f"browser: {passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
