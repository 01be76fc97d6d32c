"""The web page (``GET /``) in a real browser: Debian's Chromium, headless, driven by
Playwright against a real gateway in front of the real services.

The journeys themselves are in ``web_journeys.py``, run as a process of their own
(Playwright's sync API does not stop cleanly in this eventlet-patched process):
the shipper's (sign up, book from the form and from a dropped file, every refusal,
the list, filter, pages, cancel, an expired session, log out) and the operator's
(the fleet's bars, add a vessel, depart, arrive, retire), at phone and desktop
widths. No page may log a console error. Screenshots go to ``.infra/screenshots/``
(``SHIPPY_UPDATE_SCREENSHOTS=1`` also copies the two the README shows into
``docs/screenshots/``); the load and booking times the browser measured go to
``.infra/web-timings.json`` and the test's output: measurements, never asserts.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
JOURNEYS = Path(__file__).with_name("web_journeys.py")
INFRA = Path(os.environ.get("SHIPPY_INFRA_DIR", ROOT / ".infra"))
SCREENSHOTS = INFRA / "screenshots"
TIMINGS = INFRA / "web-timings.json"
README_SCREENSHOTS = ROOT / "docs" / "screenshots"
CHROMIUM = os.environ.get("SHIPPY_CHROMIUM", "/usr/bin/chromium")
PASSWORD = "correct horse battery"


@pytest.fixture
def browse():
    """``browse(gateway, journey, **job)``: run one journey of ``web_journeys.py`` in Chromium; its result."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"no Chromium at {CHROMIUM}: `make infra` installs Debian's chromium (or set SHIPPY_CHROMIUM)")

    def run(gateway, journey, **job):
        job = {"url": gateway.url, "chromium": CHROMIUM, "screenshots": str(SCREENSHOTS), "journey": journey, **job}
        done = subprocess.run(
            [sys.executable, str(JOURNEYS)], input=json.dumps(job), capture_output=True, text=True, timeout=600
        )
        assert done.returncode == 0, f"{journey}: exit {done.returncode}\n{done.stderr[-4000:]}"
        result = json.loads(done.stdout)
        assert result["ok"], f"{journey}:\n{result.get('error')}\ngateway:\n{gateway.process.output[-3000:]}"
        assert result["console_errors"] == [], result["console_errors"]
        for name, value in result["timings"].items():
            record_timing(name, value)
        return result

    return run


def record_timing(name, value):
    """Keep a measurement in ``.infra/web-timings.json`` and say it in the test's output."""
    INFRA.mkdir(parents=True, exist_ok=True)
    timings = json.loads(TIMINGS.read_text()) if TIMINGS.exists() else {}
    timings[name] = value
    timings["measured_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    TIMINGS.write_text(json.dumps(timings, indent=2, sort_keys=True) + "\n")
    print(f"web timing {name}: {json.dumps(value)}")


def publish_screenshot(name):
    """With ``SHIPPY_UPDATE_SCREENSHOTS=1``, copy a screenshot to where the README shows it."""
    if os.environ.get("SHIPPY_UPDATE_SCREENSHOTS") == "1":
        README_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(SCREENSHOTS / name, README_SCREENSHOTS / name)


@pytest.fixture
def operator_account(gateway, http_user, set_role):
    """An operator (an admin) made over the API, as ``user-service-admin`` would: (email, token)."""
    profile, token, _ = http_user(password=PASSWORD)
    set_role(profile["id"], "admin")
    return profile["email"], token


def test_the_page_is_served_by_the_gateway_with_a_strict_policy(gateway):
    page = gateway.client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    policy = page.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy and "unsafe-inline" not in policy
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["referrer-policy"] == "no-referrer"
    assets = re.findall(r'(?:src|href)="([^"#]+)"', page.text)
    assert assets and all(asset.startswith("/web/") for asset in assets), assets
    for asset in assets:
        answer = gateway.client.get(asset)
        assert answer.status_code == 200, asset
        assert answer.headers["x-content-type-options"] == "nosniff"
    assert "<script>" not in page.text and "style=" not in page.text


def test_a_shipper_books_lists_cancels_and_is_told_every_refusal(gateway, browse, operator_account):
    from user_service.testing import JWT_SECRET

    _, admin_token = operator_account
    result = browse(gateway, "shipper", admin_token=admin_token, jwt_secret=JWT_SECRET)
    assert result["provoked"], "the refusals the journey provokes were never sent?"
    assert {"first_load_login_page", "booking_round_trip", "first_load_signed_in_list"} <= set(result["timings"])
    publish_screenshot("shipper-list-desktop.png")


def test_an_operator_sees_the_fleet_adds_departs_arrives_and_retires(gateway, browse, operator_account):
    admin_email, _ = operator_account
    result = browse(gateway, "operator", admin_email=admin_email)
    assert "first_load_fleet" in result["timings"]
    publish_screenshot("operator-fleet-desktop.png")


def test_wrong_credentials_and_the_rate_limit_are_said_at_the_log_in_form(platform, start_gateway, browse):
    gateway = start_gateway(GATEWAY_RATE_LIMIT_LOG_IN="2/minute")
    browse(gateway, "log-in-refusals")
