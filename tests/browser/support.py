"""What every browser journey checks on every page, and accounts made for the journeys.

`Tab` wraps one Playwright page: `open()` loads a page, `step()` does one
user action and checks where it lands (an htmx swap with JavaScript, a full
page load after a 303 without), and `check()` runs the checks every page
and every wizard state must pass: no console error or CSP violation, zero
axe-core violations (WCAG 2.1 A and AA), on the phone tap targets of at least
44 px and no sideways scrolling at 375 and 320 px, and a screenshot in
test-artifacts/screenshots/.
"""
import os
import re
import shutil
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import expect

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "screenshots"
README_SCREENSHOTS = ROOT / "docs" / "screenshots"
AXE_FILE = ROOT / "tests" / "vendor" / "axe-core-4.14.1.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
TAP = 44  # px, WCAG 2.5.5 and the app's --tap
MARKER = "window.__sameDocument"
EXPECTED_REFUSAL = re.compile(r"Failed to load resource: the server responded with a status of 4(00|04|22|29)")

DESKTOP = {"viewport": {"width": 1280, "height": 800}}


def phone_args(devices):
    """A touch phone 375 CSS px wide: Playwright's Pixel 5 (Chrome on Android), narrowed."""
    args = {k: v for k, v in devices["Pixel 5"].items() if k != "default_browser_type"}
    args["viewport"] = {"width": 375, "height": 740}
    args["screen"] = {"width": 375, "height": 812}
    return args


_axe_source = None


def axe_source():
    global _axe_source
    if _axe_source is None:
        _axe_source = AXE_FILE.read_text(encoding="utf-8")
    return _axe_source


# Init script (runs outside the page's CSP): record every CSP violation event, also those Chromium
# does not print, and make each a console error too. Captured on window: events at any element reach it.
CSP_LISTENER = """
window.__cspViolations = [];
window.addEventListener('securitypolicyviolation', function (e) {
  const text = 'CSP violation: ' + e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline')
    + ' (' + (e.sourceFile || '') + ':' + e.lineNumber + ')';
  window.__cspViolations.push(text);
  console.error(text);
}, true);
"""

# Interactive elements smaller than TAP x TAP. Links inside a sentence are exempt (WCAG 2.5.5 "Inline");
# a checkbox counts with its label, which toggles it.
TAP_TARGETS_JS = """
(tap) => {
  const norm = (s) => s.replace(/\\s+/g, ' ').trim();
  const small = [];
  for (const el of document.querySelectorAll('a[href], button, input:not([type=hidden]), select, textarea, summary')) {
    if (!el.checkVisibility({visibilityProperty: true})) continue;
    let box = el.getBoundingClientRect();
    if (box.right <= 0 || box.bottom <= 0 || box.left >= innerWidth) continue;  // off screen: the skip link
    if (el.tagName === 'A' && getComputedStyle(el).display === 'inline'
        && norm(el.parentElement.textContent) !== norm(el.textContent)) continue;
    if ((el.type === 'checkbox' || el.type === 'radio') && el.labels && el.labels.length) {
      box = el.labels[0].getBoundingClientRect();
    }
    if (box.width < tap - 0.5 || box.height < tap - 0.5) {
      small.push(el.outerHTML.slice(0, 90) + ' is ' + Math.round(box.width) + 'x' + Math.round(box.height));
    }
  }
  return small;
}
"""

# Boxes that scroll sideways inside the page (a table or tabs cut off on a phone).
SIDEWAYS_SCROLLERS_JS = """
() => [...document.querySelectorAll('body *')].filter((el) => {
  const style = getComputedStyle(el);
  return (style.overflowX === 'auto' || style.overflowX === 'scroll') && el.scrollWidth > el.clientWidth + 1;
}).map((el) => el.tagName.toLowerCase() + (el.className ? '.' + el.className : ''))
"""


class Tab:
    """One browser tab (in its own context) on the live server, with the checks every page must pass."""

    def __init__(self, page, name, form_factor, js):
        self.page = page
        self.form_factor = form_factor
        self.phone = form_factor == "phone"
        self.js = js
        self.problems = []
        self.shots = 0
        self.dir = ARTIFACTS / name
        shutil.rmtree(self.dir, ignore_errors=True)
        self.posts = []  # (url, status) of every form post, to see the 303s without JavaScript
        page.on("response", lambda r: r.request.method == "POST" and self.posts.append((r.url, r.status)))
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append(f"page error: {error} {error.stack}"))

    def _console(self, message):
        if message.type in ("error", "assert"):
            self.problems.append(f"console {message.type}: {message.text} at {self.page.url} ({message.location})")

    # --- moving around -------------------------------------------------------------------------

    def heading(self):
        return self.page.locator("#main h1")

    def open(self, path, heading, name=None):
        """A full page load of `path`."""
        self.page.goto(path)
        return self.landed(path, heading, name, swapped=False)

    def step(self, action, path, heading, name=None, swapped=True, wait_for=None):
        """Do `action` and land on `path` showing `heading`.

        With JavaScript, `swapped` says the step is an htmx swap: the page is
        not reloaded (a marker set on `window` survives) and focus moves to the
        new step's heading. Without JavaScript every step is a full page load.
        """
        posted = len(self.posts)
        action()
        self.landed(path, heading, name, swapped=swapped, wait_for=wait_for)
        if not self.js:
            # Forms first: a post that moves the user on answers 303 See Other, never a page.
            for url, status in self.posts[posted:]:
                if urlsplit(url).path != path:
                    assert status == 303, f"POST {url} answered {status}, expected a 303 redirect to {path}"
        return self

    def landed(self, path, heading, name=None, swapped=False, wait_for=None):
        page = self.page
        expect(page).to_have_url(re.compile(re.escape(path) + r"(\?.*)?$"))
        expect(self.heading()).to_have_text(heading)
        if wait_for is not None:
            expect(wait_for).to_be_visible()
        page.wait_for_load_state("load")
        if self.js:
            same_document = page.evaluate(MARKER) is True
            if swapped:
                assert same_document, f"{path}: expected an htmx swap, got a full page load"
                expect(self.heading()).to_be_focused()
            else:
                page.evaluate(MARKER + " = true")
        if name:
            self.check(name)
        return self

    def click(self, role, name, within=None):
        scope = within if within is not None else self.page.locator("#main")
        return lambda: scope.get_by_role(role, name=name, exact=True).click()

    def fill(self, label, value):
        self.page.get_by_label(label, exact=True).fill(value)

    def back(self, path, heading, name=None):
        self.page.go_back()
        return self.landed(path, heading, name, swapped=False)

    def assert_countdowns(self, clock, path, heading="Enter the 6-digit passcode"):
        """The code's time left and the Resend cooldown count down; Resend opens when the cooldown ends.

        The page's timers are run forward with Playwright's clock and the
        server's with the `clock` fixture, so nobody waits 30 seconds.
        """
        page = self.page
        expires = page.locator("[data-countdown-format=mmss] .countdown-value")
        cooldown = page.get_by_text(re.compile(r"You can resend"))
        resend = page.get_by_role("button", name="Resend")
        expect(expires).to_have_text(re.compile(r"^(5:00|4:5\d)$"))
        expect(cooldown).to_have_text(re.compile(r"You can resend in (30|29|28) seconds\."))
        expect(resend).to_be_disabled()
        page.clock.run_for(3_000)  # (real time flows too: a slow machine may show a second or two less)
        expect(expires).to_have_text(re.compile(r"^4:(5[0-6]|[34]\d)$"))
        expect(cooldown).to_have_text(re.compile(r"You can resend in (2[0-7]|1\d) seconds\."))
        page.clock.run_for(30_000)
        expect(cooldown).to_have_text("You can resend now.")
        expect(resend).to_be_enabled()
        expect(expires).to_have_text(re.compile(r"^4:[0-2]\d$"))
        clock.advance(31)  # the server's clock agrees: Resend is allowed again
        self.step(lambda: resend.click(), path, heading, wait_for=page.get_by_text("A new passcode has been sent."))
        expect(page.get_by_text(re.compile(r"You can resend in"))).to_be_visible()
        expect(resend).to_be_disabled()
        self.check("passcode-resent")

    def sign_in(self, accounts, password=None, to="/signin/passcode", heading="Enter the 6-digit passcode",
                name=None):
        """The password step of sign-in, from the Sign in page."""
        self.open("/signin", "Sign in", name)
        self.fill("Email", accounts.email)
        self.fill("Password", password or accounts.PASSWORD)
        swapped = to == "/signin/passcode"  # the passcode screen is swapped in; signing in reloads the page
        return self.step(self.click("button", "Sign in"), to, heading, swapped=swapped)

    def sign_in_with_passcode(self, accounts):
        self.sign_in(accounts)
        self.fill("6-digit passcode", accounts.last_code())
        return self.step(self.click("button", "Continue"), "/dashboard", "Dashboard", swapped=False)


    # --- checks ------------------------------------------------------------------------------

    def check(self, name, readme=None):
        """Every page and wizard state: no console errors, axe, phone layout, a screenshot."""
        self.page.wait_for_load_state("load")  # stylesheet included, after a plain form post
        self.assert_no_problems()
        if self.js:
            # axe needs the page's timers, which do not run with JavaScript off; the pages
            # themselves are the same HTML, checked in the JavaScript journeys.
            self.assert_accessible(name)
        if self.phone:
            self.assert_phone_layout(name)
        self.screenshot(name, readme)

    def assert_no_problems(self):
        problems, self.problems = self.problems, []
        if self.js and not self.page.is_closed():
            # Violations recorded in the page since the last look (the listener keeps them per document).
            problems += [p for p in self.page.evaluate("window.__cspViolations ? window.__cspViolations.splice(0) : []")
                         if f"console error: {p}" not in "\n".join(problems)]
        assert not problems, "\n".join(problems)

    def finish(self):
        """After the journey: whatever happened since the last check (a late settle, a timer) fails it too."""
        if not self.page.is_closed():
            self.page.wait_for_timeout(100)  # htmx settles 20 ms after a swap
        self.assert_no_problems()

    def assert_accessible(self, name):
        page = self.page
        if not page.evaluate("typeof window.axe === 'object'"):
            page.evaluate(axe_source())
        result = page.evaluate(
            "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
            AXE_TAGS)
        violations = [f"{v['id']}: {v['help']} at {[n['target'] for n in v['nodes']]}" for v in result["violations"]]
        assert not violations, f"axe on {name} ({page.url}):\n" + "\n".join(violations)

    def assert_phone_layout(self, name):
        page = self.page
        small = page.evaluate(TAP_TARGETS_JS, TAP)
        assert not small, f"tap targets under {TAP} px on {name}:\n" + "\n".join(small)
        size = page.viewport_size
        for width in (size["width"], 320):
            page.set_viewport_size({"width": width, "height": size["height"]})
            overflow = page.evaluate("document.documentElement.scrollWidth - innerWidth")
            assert overflow <= 0, f"{name} scrolls sideways by {overflow} px at {width} px"
            scrollers = page.evaluate(SIDEWAYS_SCROLLERS_JS)
            assert not scrollers, f"{name} at {width} px: parts scroll sideways: {scrollers}"
        page.set_viewport_size(size)

    def screenshot(self, name, readme=None):
        self.shots += 1
        self.dir.mkdir(parents=True, exist_ok=True)
        path = self.dir / f"{self.shots:02d}-{name}.png"
        self.page.screenshot(path=path, full_page=True, scale="css", caret="initial")
        if readme and self.js and os.environ.get("UPDATE_README_SCREENSHOTS") == "1":
            README_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, README_SCREENSHOTS / f"{self.form_factor}-{readme}.png")

    def assert_error_announced(self, message, field_label=None, invalid=True):
        """The form's error is a role=alert (announced when it appears) tied to its field.

        The refusal's 4xx status is logged by Chromium as a console error
        ("Failed to load resource"); here, and only here, that one is expected.
        """
        alert = self.page.locator("#main [role=alert]")
        expect(alert).to_contain_text(message)
        self.problems = [p for p in self.problems if not EXPECTED_REFUSAL.search(p)]
        if field_label:
            field = self.page.get_by_label(field_label, exact=True)
            expect(field).to_have_attribute("aria-describedby", re.compile(r"\bform-error\b"))
            if invalid:
                expect(field).to_have_attribute("aria-invalid", "true")


def wrong(code):
    """A passcode that is certainly not `code`."""
    return f"{(int(code) + 1) % 1_000_000:06d}"


class Accounts:
    """One account per test on the live server, made through its pages with Flask's test client."""

    PASSWORD = "correct horse battery"

    def __init__(self, app, number):
        from conftest import BrowserLikeClient

        app.test_client_class = BrowserLikeClient
        self.app = app
        self.client = app.test_client()
        self.email = f"ann.{number}@example.com"
        self.name = "Ann Example"
        self.phone = f"090-1234-{number:04d}"
        self.e164 = f"+81901234{number:04d}"
        self.recovery_code = None

    def signup(self):
        """Sign up, confirm the address with the mailed link, and sign in (with the test client)."""
        from conftest import Auth, Mailbox

        Auth(self.client, None, Mailbox(self.app)).signup(self.email, self.PASSWORD, self.name)
        return self

    def register(self):
        """Only the sign-up form: the address stays unconfirmed."""
        from conftest import Auth, Mailbox

        Auth(self.client, None, Mailbox(self.app)).register(self.email, self.PASSWORD, self.name)
        return self

    def deliver_mail(self):
        """Send the mail queue now, as the sender thread would, so /dev/mail shows it."""
        from conftest import deliver_mail

        deliver_mail(self.app)

    def mail_link(self, path):
        """The path and query of the newest `path` link mailed to this account (the mail outbox)."""
        from conftest import Mailbox

        return Mailbox(self.app).last_link(self.email, path)

    def with_two_step(self, state="on"):
        """An account whose two-step verification is `state` ("on" or "off"); keeps the recovery code."""
        from conftest import RECOVERY_RE

        self.signup()
        client = self.client
        assert client.post("/two-step/phone", data={"phone": self.phone}).status_code == 303
        assert client.post("/two-step/passcode", data={"code": self.last_code()}).status_code == 303
        self.recovery_code = RECOVERY_RE.search(client.get("/two-step/recovery").get_data(as_text=True)).group(1)
        assert client.post("/two-step/confirm", data={"kept": "y"}).status_code == 303
        if state == "off":
            # Off needs the step-up: the password again, then a passcode to the number.
            assert client.post("/reauth", data={"password": self.PASSWORD}).status_code == 303
            assert client.post("/two-step/verify").status_code == 303
            assert client.post("/two-step/verify/passcode", data={"code": self.last_code()}).status_code == 303
            assert client.post("/two-step/off").status_code == 303
        return self

    def messages(self):
        from models import OutboxMessage, db

        with db.connection_context():
            query = OutboxMessage.select().where(OutboxMessage.phone == self.e164).order_by(OutboxMessage.id)
            return [message.body for message in query]

    def last_code(self):
        from conftest import CODE_RE

        messages = self.messages()
        assert messages, f"no SMS was sent to {self.e164}"
        return CODE_RE.search(messages[-1]).group(1)
