"""The web page's journeys in Chromium, as a process of its own (``test_web.py`` runs it).

Why a process: the test process is monkey-patched by eventlet (the ``shippy`` plugin),
and there Playwright's sync API drives the browser but never returns from stopping its
driver. So ``test_web.py`` starts the gateway and the services, makes what only the
test process can (an operator's account), and runs ``python web_journeys.py`` with a
JSON job on stdin: the gateway's URL, Chromium's path, the journey. This prints one
JSON result: ``ok`` (else ``error``, the traceback of the failed step), the console
errors each page logged, the timings the browser measured, the screenshots taken.

Debian's Chromium is driven headless through ``executable_path``: nothing is downloaded.
"""

import json
import re
import sys
import time
import traceback
from pathlib import Path

import httpx
import jwt
from playwright.sync_api import expect, sync_playwright

ROOT = Path(__file__).resolve().parents[3]
PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}
PASSWORD = "correct horse battery"
EXPIRED = "Your session has expired, please log in again"
#: What Chromium itself logs for a response the journey provoked on purpose (a refusal
#: the page then explains): the only console errors allowed.
PROVOKED = re.compile(r"^Failed to load resource: the server responded with a status of (401|409|422|429) ")


class Tab:
    """A page in a fresh browser context, with every console error and page error it logs."""

    def __init__(self, run, viewport):
        self.run = run
        self.context = run.browser.new_context(viewport=viewport)
        self.page = self.context.new_page()
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: run.result["console_errors"].append(f"page error: {error}"))
        self.page.set_default_timeout(20_000)

    def _console(self, message):
        if message.type == "error":
            kind = "provoked" if PROVOKED.match(message.text) else "console_errors"
            self.run.result[kind].append(message.text)

    def open(self):
        self.page.goto(self.run.url + "/")
        return self.page

    def screenshot(self, name):
        path = Path(self.run.job["screenshots"]) / f"{name}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(path), full_page=True)
        self.run.result["screenshots"].append(str(path))
        return path


class Run:
    """One journey: the browser, the job it was given, an HTTP client of the API, the result."""

    def __init__(self, browser, job):
        self.browser = browser
        self.job = job
        self.url = job["url"]
        self.api = httpx.Client(base_url=self.url, timeout=60)
        self.result = {"ok": False, "console_errors": [], "provoked": [], "timings": {}, "screenshots": []}
        self.tabs = []

    def tab(self, viewport):
        tab = Tab(self, viewport)
        self.tabs.append(tab)
        return tab

    def timing(self, name, value):
        self.result["timings"][name] = value

    def new_shipper(self):
        """A customer made over the API: its headers."""
        address = email()
        account = {"name": "Ana Lopes", "company": "Leith Freight", "email": address, "password": PASSWORD}
        assert self.api.post("/v1/users", json=account).status_code == 201
        issued = self.api.post("/v1/tokens", json={"email": address, "password": PASSWORD}).json()
        return {"Authorization": f"Bearer {issued['token']}"}

    def close(self):
        for tab in self.tabs:
            tab.context.close()
        self.api.close()


def navigation_timing(page):
    return page.evaluate(
        """() => {
            const [nav] = performance.getEntriesByType("navigation");
            return {
                response_end_ms: Math.round(nav.responseEnd),
                dom_content_loaded_ms: Math.round(nav.domContentLoadedEventEnd),
                load_ms: Math.round(nav.loadEventEnd),
                transferred_bytes: performance.getEntriesByType("resource")
                    .reduce((sum, r) => sum + r.transferSize, nav.transferSize),
            };
        }"""
    )


def mark(page, name, shown):
    """When the page first had its data on screen (``performance.mark`` in app.js, set as ``shown``
    appears), in ms after the navigation started."""
    shown.first.wait_for()
    return round(page.evaluate("(name) => performance.getEntriesByName(name)[0].startTime", name))


def settled(page, count=None, page_number=None):
    """The list has loaded (app.js marks it ``aria-busy`` from the moment it asks): ``count``
    cards, on page ``page_number``.

    No ``wait_for_function``: the page's CSP allows no eval, and Playwright's predicates need it."""
    expect(page.locator("#consignment-list")).not_to_have_attribute("aria-busy", "true")
    if count is not None:
        expect(cards(page)).to_have_count(count)
    if page_number is not None:
        expect(page.locator("#page-number")).to_have_text(f"Page {page_number}")


def sign_up(page, name, address, password=PASSWORD):
    form = page.locator("#sign-up-form")
    form.get_by_label("Your name").fill(name)
    form.get_by_label("Company").fill("Leith Freight")
    form.get_by_label("Email").fill(address)
    form.get_by_label("Password").fill(password)
    form.get_by_role("button", name="Sign up").click()
    page.locator("#who-name").wait_for()


def fill_booking(page, description, weight, containers):
    page.get_by_label("Description").fill(description)
    page.get_by_label("Total weight (kg)").fill(str(weight))
    for index, (customer, origin) in enumerate(containers, start=1):
        if index > 1:
            page.get_by_role("button", name="Add a container").click()
        page.get_by_label(f"Customer id, container {index}", exact=True).fill(customer)
        page.get_by_label(f"Origin, container {index}", exact=True).fill(origin)


def cards(page):
    return page.locator("#consignment-list > li")


def email():
    return f"web.{time.time_ns()}@example.com"


def expire(token, secret):
    """The same token, signed with the same key, but expired an hour ago."""
    claims = jwt.decode(token, secret, algorithms=["HS256"], options={"verify_aud": False})
    claims["exp"] = int(time.time()) - 3600
    claims["iat"] = claims["exp"] - 60
    return jwt.encode(claims, secret, algorithm="HS256", headers={"typ": "JWT"})


def shipper(run):
    """Sign up, book (form, dropped file), refusals, the list, filter, pages, cancel, expiry, log out."""
    api = run.api
    tab = run.tab(DESKTOP)
    page = tab.open()
    run.timing("first_load_login_page", navigation_timing(page))
    tab.screenshot("login-desktop")

    # Sign up (and so log in): the shipper's page, with one empty container row.
    address = email()
    sign_up(page, "Ana Lopes", address)
    expect(page.locator("#nav-fleet")).to_be_hidden()  # a shipper has no fleet page
    expect(page.locator("#who-name")).to_contain_text("Ana Lopes")
    page.get_by_role("heading", name="My consignments").wait_for()
    expect(page.locator("#list-empty")).to_be_visible()
    token = page.evaluate("sessionStorage.getItem('shippy.token')")
    assert token and page.evaluate("localStorage.length") == 0 and tab.context.cookies() == []

    # Keyboard: every control of the booking form is reached with Tab, in order, and labelled.
    page.get_by_label("Description").focus()
    reached = ["book-description"]
    for _ in range(8):
        page.keyboard.press("Tab")
        reached.append(page.evaluate("document.activeElement.id || document.activeElement.textContent"))
    in_order = ["book-description", "book-weight", "container-1-customer", "container-1-origin", "add-container"]
    assert reached[:6] == [*in_order, "book-submit"], reached
    assert "book-file" in reached, reached
    unlabelled = page.evaluate(
        """() => [...document.querySelectorAll("input, select, textarea")]
            .filter((c) => c.labels.length === 0 && !c.getAttribute("aria-label")).map((c) => c.id)"""
    )
    assert unlabelled == []

    # A refusal naming the field is shown next to that field.
    fill_booking(page, "   ", 1000, [("cust001", "Leith")])
    page.get_by_role("button", name="Book", exact=True).click()
    field_error = page.locator("#book-description-error")
    expect(field_error).to_contain_text("fill this in")
    assert page.get_by_label("Description").get_attribute("aria-invalid") == "true"

    # A container row added and then removed; an empty origin in row 2 is named in row 2.
    page.get_by_label("Description").fill("Whisky, 3 pallets")
    page.get_by_role("button", name="Add a container").click()
    page.get_by_role("button", name="Add a container").click()
    expect(page.locator(".container-row")).to_have_count(3)
    page.get_by_role("button", name="Remove container 3").click()
    expect(page.locator(".container-row")).to_have_count(2)
    page.get_by_label("Customer id, container 2", exact=True).fill("cust002")
    page.get_by_role("button", name="Book", exact=True).click()
    row_error = page.locator(".container-row").nth(1).locator(".field-error").nth(1)
    expect(row_error).to_contain_text("fill this in")

    # No vessel with room: said by the form, nothing booked.
    page.get_by_label("Origin, container 2", exact=True).fill("Rosyth")
    page.get_by_label("Total weight (kg)").fill("999999999")
    page.get_by_role("button", name="Book", exact=True).click()
    expect(page.locator("#book-error")).to_contain_text("No vessel has room")
    expect(cards(page)).to_have_count(0)

    # Booked from the form: the answer, and the list with status, reference and timeline.
    page.get_by_label("Total weight (kg)").fill("2000")
    started = time.monotonic()
    page.get_by_role("button", name="Book", exact=True).click()
    page.locator("#book-ok").wait_for()
    expect(cards(page)).to_have_count(1)  # the list is drawn again after the answer
    round_trip = {
        "in_browser_ms": round(page.evaluate("performance.getEntriesByName('shippy:booking')[0].duration")),
        "as_the_test_saw_it_ms": round((time.monotonic() - started) * 1000),
    }
    run.timing("booking_round_trip", round_trip)
    first = cards(page).first
    reference = first.locator("h3").inner_text()
    assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", reference)
    expect(page.locator("#book-ok")).to_contain_text(reference)
    expect(first.locator(".status")).to_have_text("Booked")
    expect(first.locator(".timeline li")).to_have_count(1)
    expect(first.locator(".timeline")).to_contain_text("Booked")
    expect(first).to_contain_text("2 containers, 2,000 kg")
    # The form is ready for the next booking: one empty row.
    expect(page.locator(".container-row")).to_have_count(1)
    expect(page.get_by_label("Description")).to_have_value("")

    # Booked by dropping consignment.json on the page.
    payload = (ROOT / "consignment-cli" / "consignment.json").read_text()
    transfer = page.evaluate_handle(
        """(text) => {
            const transfer = new DataTransfer();
            transfer.items.add(new File([text], "consignment.json", {type: "application/json"}));
            return transfer;
        }""",
        payload,
    )
    page.dispatch_event("#drop-zone", "dragover", {"dataTransfer": transfer})
    page.dispatch_event("#drop-zone", "drop", {"dataTransfer": transfer})
    expect(page.locator("#drop-ok")).to_contain_text("From consignment.json: Booked")
    settled(page, count=2)
    expect(cards(page).first).to_contain_text("3 containers, 55,000 kg")
    # A file the API refuses is explained at the drop zone, naming the field.
    page.locator("#book-file").set_input_files(
        files=[{"name": "consignment.json", "mimeType": "application/json", "buffer": b'{"description": "x"}'}]
    )
    expect(page.locator("#drop-error")).to_contain_text("In consignment.json, weight")

    # Three more (over the API), then pages of 2, and the filter.
    as_ana = {"Authorization": f"Bearer {token}"}
    for n in range(3):
        load = {"description": f"crate {n}", "weight": 100, "containers": [{"customer_id": "c1", "origin": "Leith"}]}
        assert api.post("/v1/consignments", json=load, headers=as_ana).status_code == 201
    page.get_by_label("Per page").select_option("5")
    settled(page, count=5)
    expect(page.get_by_role("button", name="Previous page")).to_be_disabled()
    expect(page.get_by_role("button", name="Next page")).to_be_disabled()
    page.get_by_label("Status").select_option("booked")
    settled(page, page_number=1)

    # Cancel the oldest: its card says so, and it has a two-step timeline.
    oldest = cards(page).filter(has_text=reference)
    oldest.get_by_role("button", name=f"Cancel booking {reference}").click()
    settled(page, count=4)
    page.get_by_label("Status").select_option("cancelled")
    settled(page, count=1)
    cancelled = cards(page).first
    expect(cancelled.locator(".status")).to_have_text("Cancelled")
    assert [step.split(" ")[0] for step in cancelled.locator(".timeline li").all_inner_texts()] == [
        "Booked",
        "Cancelled",
    ]
    expect(cancelled.get_by_role("button")).to_have_count(0)  # nothing left to cancel

    # Paging: 2 a page over the 4 booked, forward and back.
    page.get_by_label("Status").select_option("")
    page.get_by_label("Per page").select_option("5")
    settled(page, count=5)
    tab.screenshot("shipper-list-desktop")
    # Ten more, and pages of 5: page 1, 2, 3 and back.
    for n in range(10):
        load = {"description": f"box {n}", "weight": 10, "containers": [{"customer_id": "c2", "origin": "Leith"}]}
        assert api.post("/v1/consignments", json=load, headers=as_ana).status_code == 201
    page.get_by_label("Status").select_option("booked")
    settled(page, count=5)
    page.get_by_role("button", name="Next page").click()
    settled(page, page_number=2)
    seen = set(cards(page).locator("h3").all_inner_texts())
    page.get_by_role("button", name="Next page").click()
    settled(page, page_number=3)
    expect(cards(page)).to_have_count(4)
    expect(page.get_by_role("button", name="Next page")).to_be_disabled()
    assert not seen & set(cards(page).locator("h3").all_inner_texts())
    page.get_by_role("button", name="Previous page").click()
    settled(page, page_number=2)
    assert set(cards(page).locator("h3").all_inner_texts()) == seen

    # A consignment that sailed cannot be cancelled: said on its card.
    as_admin = {"Authorization": f"Bearer {run.job['admin_token']}"}  # an operator departs its vessel
    from_list = api.get("/v1/consignments", params={"limit": 1}, headers=as_ana).json()["items"][0]
    vessel = from_list["vessel_id"]
    page.get_by_label("Status").select_option("")
    settled(page, count=5)
    assert api.post(f"/v1/vessels/{vessel}/departure", headers=as_admin).status_code == 200
    newest = cards(page).first
    newest.get_by_role("button", name=re.compile("^Cancel booking")).click()
    expect(newest.locator(".form-error")).to_contain_text("already sailed")

    # Phone width.
    page.set_viewport_size(PHONE)
    tab.screenshot("shipper-list-phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    # First load of the signed-in page (the token is in this tab's sessionStorage).
    page.set_viewport_size(DESKTOP)
    page.reload()
    run.timing(
        "first_load_signed_in_list",
        {**navigation_timing(page), "list_shown_ms": mark(page, "shippy:first-list", page.locator("#page-number"))},
    )

    # An expired token: the next call is refused, and the page says so at the log-in form.
    expired = expire(token, run.job["jwt_secret"])
    page.evaluate("(token) => sessionStorage.setItem('shippy.token', token)", expired)
    page.get_by_label("Status").select_option("booked")
    page.locator("#log-in-form").wait_for()
    expect(page.locator("#notice")).to_contain_text(EXPIRED)
    assert page.evaluate("sessionStorage.getItem('shippy.token')") is None
    tab.screenshot("session-expired-desktop")

    # Log in again, then log out.
    page.locator("#log-in-form").get_by_label("Email").fill(address)
    page.locator("#log-in-form").get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Log in").click()
    page.locator("#who-name").wait_for()
    page.get_by_role("button", name="Log out").click()
    page.locator("#log-in-form").wait_for()
    assert page.evaluate("sessionStorage.length") == 0


def operator(run):
    """Log in as an operator: the fleet's bars, add a vessel, depart, arrive, retire."""
    api = run.api
    tab = run.tab(DESKTOP)
    page = tab.open()
    form = page.locator("#log-in-form")
    form.get_by_label("Email").fill(run.job["admin_email"])
    form.get_by_label("Password").fill(PASSWORD)
    form.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Fleet").wait_for()
    page.reload()  # the signed-in page's first load, measured
    page.get_by_role("heading", name="Fleet").wait_for()
    shown = mark(page, "shippy:first-fleet", page.locator("#fleet > li"))
    run.timing("first_load_fleet", {**navigation_timing(page), "fleet_shown_ms": shown})
    page.locator("#fleet > li").first.wait_for()

    # Add a vessel; a refusal naming the field first.
    vessel_form = page.locator("#vessel-form")
    vessel_form.get_by_label("Name").fill("Tern")
    vessel_form.get_by_label("Id (optional)").fill("tern")
    vessel_form.get_by_label("Containers it carries").fill("0")
    vessel_form.get_by_label("Weight it carries (kg)").fill("10000")
    vessel_form.get_by_role("button", name="Add the vessel").click()
    expect(page.locator("#vessel-capacity-error")).to_contain_text("more than 0")
    vessel_form.get_by_label("Containers it carries").fill("4")
    vessel_form.get_by_role("button", name="Add the vessel").click()
    page.locator("#vessel-ok").wait_for()
    tern = page.locator('#fleet > li[data-id="tern"]')
    expect(tern).to_contain_text("0 of 4 containers used, 4 free")

    # A shipper books onto it (the best fit): the bars show it.
    as_ana = run.new_shipper()
    load = {"description": "crates", "weight": 7500, "containers": [{"customer_id": "c", "origin": "Leith"}] * 3}
    booked = api.post("/v1/consignments", json=load, headers=as_ana).json()
    assert booked["vessel_id"] == "tern"
    page.reload()
    expect(tern).to_contain_text("3 of 4 containers used, 1 free")
    expect(tern).to_contain_text("7,500 of 10,000 kg used, 2,500 free")
    meter = tern.get_by_role("meter", name="Containers on Tern")
    assert meter.get_attribute("aria-valuenow") == "3"
    assert float(tern.locator(".bar-used").first.evaluate("e => e.style.width").rstrip("%")) == 75
    tab.screenshot("operator-fleet-desktop")
    page.set_viewport_size(PHONE)
    tab.screenshot("operator-fleet-phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.set_viewport_size(DESKTOP)

    # Retire is refused while it carries bookings: said on its card.
    tern.get_by_role("button", name="Retire Tern").click()
    expect(tern.locator(".form-error")).to_contain_text("Not now")

    # Depart, arrive, retire.
    expect(tern.get_by_role("button", name="Arrive Tern")).to_be_disabled()
    tern.get_by_role("button", name="Depart Tern").click()
    page.wait_for_selector('#fleet > li[data-id="tern"][data-status="at_sea"]')
    expect(tern.locator(".status")).to_contain_text("At sea")
    expect(tern.get_by_role("button", name="Depart Tern")).to_be_disabled()
    tern.get_by_role("button", name="Arrive Tern").click()
    page.wait_for_selector('#fleet > li[data-id="tern"][data-status="open"]')
    expect(tern).to_contain_text("voyage 2")
    expect(tern).to_contain_text("0 of 4 containers used")
    tern.get_by_role("button", name="Retire Tern").click()
    page.wait_for_selector('#fleet > li[data-id="tern"][data-status="retired"]')
    assert all(button.is_disabled() for button in tern.get_by_role("button").all())
    assert api.get(f"/v1/consignments/{booked['id']}", headers=as_ana).json()["status"] == "arrived"

    # The operator books too, from the other section.
    page.get_by_role("link", name="My consignments").click()
    page.get_by_role("heading", name="Book a consignment").wait_for()


def log_in_refusals(run):
    """A wrong password, then the log-in rate limit (the gateway allows 2 a minute), at phone width."""
    tab = run.tab(PHONE)
    page = tab.open()
    form = page.locator("#log-in-form")
    form.get_by_label("Email").fill("nobody@example.com")
    form.get_by_label("Password").fill("not the password")
    form.get_by_role("button", name="Log in").click()
    expect(page.locator("#log-in-error")).to_contain_text("do not match an account")
    tab.screenshot("login-phone")
    for _ in range(3):  # the limit is 2 a minute: the third attempt at the latest is refused
        with page.expect_response(lambda response: response.url.endswith("/v1/tokens")) as answered:
            form.get_by_role("button", name="Log in").click()
        if answered.value.status == 429:
            break
    assert answered.value.status == 429
    expect(page.locator("#log-in-error")).to_contain_text(re.compile(r"Too many attempts .* try again in \d+ seconds?"))


JOURNEYS = {"shipper": shipper, "operator": operator, "log-in-refusals": log_in_refusals}


def main():
    job = json.load(sys.stdin)
    result = {"ok": False, "error": "the browser did not start"}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=job["chromium"], headless=True)
        run = Run(browser, job)
        result = run.result
        try:
            JOURNEYS[job["journey"]](run)
            result["ok"] = True
        except Exception:
            result["error"] = traceback.format_exc()
        finally:
            run.close()
            browser.close()
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
