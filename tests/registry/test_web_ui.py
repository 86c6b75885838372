"""The web UI in a real headless Chromium against a real ``telemetry-contracts serve`` process."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import IN_CI, require_path
from tests.registry.server_process import SERVE, ServerProcess

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
CHROMIUM_FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run", "--window-size=1280,1000")
WAIT_SECONDS = 30

try:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.remote.webdriver import WebDriver
    from selenium.webdriver.remote.webelement import WebElement
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait
except ImportError:  # pragma: no cover - selenium is in the [dev] extra
    webdriver = None


@dataclass
class Registry:
    """The server under test and the tokens of its users."""

    server: ServerProcess
    database_url: str
    tokens: dict[str, str] = field(default_factory=dict)

    def admin_token(self, name: str) -> None:
        """An admin token made by ``telemetry-contracts token create``, as an operator would."""
        done = subprocess.run([sys.executable, "-c", SERVE, "token", "create", "--role", "admin",
                               "--name", name, "--database", self.database_url],
                              capture_output=True, text=True, timeout=60, check=True)
        self.tokens[name] = done.stdout.strip()

    def token(self, admin: str, name: str, role: str, *namespaces: str) -> None:
        """A token the admin makes over the API."""
        made = self.call(admin, "POST", "/v1/tokens",
                         json={"name": name, "role": role, "namespaces": list(namespaces)})
        assert made.status_code == 201, made.text
        self.tokens[name] = made.json()["token"]

    def call(self, who: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """The JSON API directly, as another user acting meanwhile."""
        headers = {"Authorization": f"Bearer {self.tokens[who]}"}
        return httpx.request(method, self.server.url + path, headers=headers, timeout=30,
                             **kwargs)

    def propose(self, who: str, name: str, instrument: str, unit: str) -> int:
        """A metric proposal made over the API; its id."""
        body = {"change": {"kind": "metric", "metric": {
            "name": name, "instrument": instrument, "unit": unit}}}
        created = self.call(who, "POST", "/v1/proposals", json=body)
        assert created.status_code == 201, created.text
        return int(created.json()["id"])


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    directory = tmp_path_factory.mktemp("web-ui")
    database_url = f"sqlite:///{directory / 'registry.db'}"
    server = ServerProcess(database_url, directory / "server.log")
    registry = Registry(server, database_url)
    try:
        registry.admin_token("root")
        registry.token("root", "alice", "contributor")
        registry.token("root", "bob", "reviewer", "payments.")
        registry.token("root", "carol", "reviewer", "shipping.")
        registry.token("root", "checkout-guard", "contributor")
        yield registry
    finally:
        server.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    require_path(CHROMIUM, "chromium (apt-get install chromium)")
    require_path(CHROMEDRIVER, "chromedriver (apt-get install chromium-driver)")
    if webdriver is None:
        reason = "selenium is not installed (pip install -e '.[dev]')"
        if IN_CI:
            pytest.fail(reason)
        pytest.skip(reason)
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    with tempfile.TemporaryDirectory(prefix="tc-chromium-") as profile:
        options.add_argument(f"--user-data-dir={profile}")
        driver = webdriver.Chrome(options=options,
                                  service=Service(executable_path=str(CHROMEDRIVER)))
        try:
            yield driver
        finally:
            driver.quit()


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where each main page's screenshot goes (``TC_UI_SCREENSHOTS`` to keep them)."""
    chosen = os.environ.get("TC_UI_SCREENSHOTS")
    if chosen:
        Path(chosen).mkdir(parents=True, exist_ok=True)
        return Path(chosen)
    return tmp_path_factory.mktemp("ui-screenshots")


@dataclass
class Page:
    """The browser on the UI of one registry."""

    driver: WebDriver
    registry: Registry
    screenshots: Path

    def open(self, route: str) -> None:
        self.driver.get(f"{self.registry.server.url}/ui/#/{route}")
        self.driver.refresh()

    def sign_in(self, who: str | None) -> None:
        """Put ``who``'s token in the token field (or forget it) as a user would."""
        self.driver.get(f"{self.registry.server.url}/ui/")
        if who is None:
            self.find("#token-clear").click()
            return
        box = self.find("#token-input")
        box.clear()
        box.send_keys(self.registry.tokens[who])
        self.find("#token-save").click()
        self.wait_text("#token-state", f"{who} · ")

    def find(self, css: str) -> WebElement:
        return WebDriverWait(self.driver, WAIT_SECONDS).until(
            ec.presence_of_element_located((By.CSS_SELECTOR, css)))

    def find_all(self, css: str) -> list[WebElement]:
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def wait_text(self, css: str, text: str) -> WebElement:
        WebDriverWait(self.driver, WAIT_SECONDS).until(
            ec.text_to_be_present_in_element((By.CSS_SELECTOR, css), text))
        return self.find(css)

    def fill(self, css: str, value: str) -> None:
        box = self.find(css)
        box.clear()
        box.send_keys(value)

    def choose(self, css: str, value: str) -> None:
        from selenium.webdriver.support.ui import Select

        Select(self.find(css)).select_by_value(value)

    def shot(self, name: str) -> Path:
        path = self.screenshots / f"{name}.png"
        assert self.driver.save_screenshot(str(path)), f"no screenshot at {path}"
        return path

    def errors(self) -> list[str]:
        """JavaScript errors the page logged (network 4xx answers are expected and left out)."""
        return [entry["message"] for entry in self.driver.get_log("browser")
                if entry["level"] == "SEVERE" and entry.get("source") == "javascript"]


@pytest.fixture
def page(browser: WebDriver, registry: Registry, screenshots: Path,
         request: pytest.FixtureRequest) -> Iterator[Page]:
    ui = Page(browser, registry, screenshots)
    failed_before = request.session.testsfailed
    yield ui
    if request.session.testsfailed > failed_before:
        shot = ui.shot(f"failed-{request.node.name}")
        text = browser.find_element(By.TAG_NAME, "body").text
        print(f"\nscreenshot of the failure: {shot}\npage text:\n{text}")
    assert ui.errors() == []


def propose_metric(page: Page, name: str, refs: list[str], *, owner: str = "",
                   title: str = "") -> WebElement:
    """Fill the proposal form and submit it; the result region once it has an answer."""
    page.open("propose")
    page.fill("#field-name", name)
    page.choose("#field-instrument", "histogram")
    page.fill("#field-unit", "s")
    page.fill("#field-brief", "Time from checkout click to confirmation.")
    for index, ref in enumerate(refs):
        if index:
            page.find("#attribute-refs + button").click()
        page.fill(f"#ref-{index}", ref)
    if owner:
        page.fill("#field-owner", owner)
    if title:
        page.fill("#field-title", title)
    page.find("#propose-form button[type=submit]").click()
    WebDriverWait(page.driver, WAIT_SECONDS).until(
        lambda driver: driver.find_elements(By.CSS_SELECTOR, "#propose-result .problem, "
                                                             ".proposal-created"))
    return page.find("#propose-result")


def review(page: Page, proposal_id: int, decision: str, comment: str) -> WebElement:
    """Click a review button on one proposal's card; the card once the answer is shown."""
    card = f"#proposal-{proposal_id}"
    if comment:
        page.fill(f"#comment-{proposal_id}", comment)
    page.find(f"{card} button[data-decision={decision}]").click()
    WebDriverWait(page.driver, WAIT_SECONDS).until(
        lambda driver: driver.find_elements(By.CSS_SELECTOR, f"{card} .problem, {card} .success"))
    return page.find(card)


def codes(region: WebElement) -> list[str]:
    return [cell.text for cell in region.find_elements(By.CSS_SELECTOR, ".finding-code")]


def test_ui_is_served_with_a_strict_content_security_policy(registry: Registry) -> None:
    redirect = httpx.get(registry.server.url + "/ui", follow_redirects=False)
    assert redirect.status_code in (307, 308) and redirect.headers["location"].endswith("/ui/")
    index = httpx.get(registry.server.url + "/ui/")
    assert index.status_code == 200 and "text/html" in index.headers["content-type"]
    assert "script-src 'self'" in index.headers["content-security-policy"]
    script = httpx.get(registry.server.url + "/ui/js/app.js")
    assert "javascript" in script.headers["content-type"]


def test_no_script_turns_text_into_markup() -> None:
    static = Path(__file__).resolve().parents[2] / "src/telemetry_contracts/registry/web/static"
    scripts = sorted(static.rglob("*.js"))
    assert len(scripts) >= 5
    sinks = ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(",
             "new Function")
    offending = [(script.name, sink) for script in scripts for sink in sinks
                 if sink in script.read_text()]
    assert offending == []


def test_without_a_token_the_page_says_how_to_get_in(page: Page) -> None:
    page.sign_in(None)
    page.open("deprecations")
    problem = page.find(".problem")
    assert problem.get_attribute("data-status") == "401"
    assert "Unauthenticated" in problem.text and "a bearer token is required" in problem.text
    assert "API token" in problem.text


def test_a_page_that_finishes_loading_leaves_the_token_field_focused(page: Page) -> None:
    page.sign_in("alice")
    page.driver.execute_cdp_cmd("Network.enable", {})
    slow = {"offline": False, "latency": 700, "downloadThroughput": -1, "uploadThroughput": -1}
    page.driver.execute_cdp_cmd("Network.emulateNetworkConditions", slow)
    try:
        page.driver.refresh()
        box = page.find("#token-input")
        box.clear()
        box.send_keys(page.registry.tokens["bob"])
        page.find("#metric-table")
    finally:
        page.driver.execute_cdp_cmd("Network.emulateNetworkConditions", {**slow, "latency": 0})
    assert page.driver.switch_to.active_element.get_attribute("id") == "token-input"
    assert box.get_attribute("value") == page.registry.tokens["bob"]


def test_an_invalid_metric_shows_its_findings(page: Page) -> None:
    page.sign_in("alice")
    result = propose_metric(page, "payments.checkout.time", ["payments.method"])
    problem = result.find_element(By.CSS_SELECTOR, ".problem")
    assert problem.get_attribute("data-status") == "422"
    assert codes(problem) == ["TC103"]
    assert "payments.method" in problem.find_element(By.CSS_SELECTOR, "table.findings").text
    assert "error" in problem.find_element(By.CSS_SELECTOR, ".badge").text
    page.shot("propose-invalid")


def test_propose_approve_publish_and_browse(page: Page, registry: Registry) -> None:
    hostile = '<img src=x onerror="window.__pwned=1"> checkout'
    page.sign_in("alice")
    result = propose_metric(page, "payments.checkout.duration", ["error.type"],
                            owner="team-payments", title=hostile)
    created = result.find_element(By.CSS_SELECTOR, ".proposal-created")
    proposal_id = int(created.get_attribute("data-proposal-id") or 0)
    assert f"Proposal #{proposal_id} created" in created.text
    assert "open" in created.text and "proposed → active" in created.text
    page.shot("propose-created")

    # A reviewer of another namespace is offered no decision; the author only withdraws.
    page.sign_in("carol")
    assert page.find("#token-state").text == "carol · reviewer · owns shipping"
    page.open("proposals?status=open")
    card = page.find(f"#proposal-{proposal_id}")
    page.wait_text(f"#proposal-{proposal_id}", "by alice")
    assert card.find_elements(By.CSS_SELECTOR, "button[data-decision]") == []
    page.sign_in("alice")
    page.open("proposals?status=open")
    card = page.find(f"#proposal-{proposal_id}")
    page.find(f"#proposal-{proposal_id} button[data-decision=withdraw]")
    assert [b.get_attribute("data-decision") for b in
            card.find_elements(By.CSS_SELECTOR, "button[data-decision]")] == ["withdraw"]

    # The namespace owner sees the diff against the current contract, then approves; the
    # title shows as text, never as markup.
    page.sign_in("bob")
    page.open("proposals?status=open")
    diff = page.wait_text(f"#diff-{proposal_id} .diff-body", "minor bump")
    assert "metric `payments.checkout.duration` added" in diff.text
    assert "histogram, unit s, attributes error.type" in diff.text
    assert [cell.text for cell in diff.find_elements(
        By.CSS_SELECTOR, "[data-compatibility]")] == ["compatible"]
    page.shot("proposal-diff")
    card = review(page, proposal_id, "approve", "Good name, good unit.")
    assert card.get_attribute("data-status") == "approved"
    assert [b.get_attribute("data-decision") for b in card.find_elements(
        By.CSS_SELECTOR, "button[data-decision]")] == ["request_changes", "reject"]
    assert "is now approved" in card.find_element(By.CSS_SELECTOR, ".success").text
    assert hostile in card.find_element(By.CSS_SELECTOR, ".proposal-title").text
    assert card.find_elements(By.TAG_NAME, "img") == []
    assert page.driver.execute_script("return window.__pwned") is None
    card.find_element(By.CSS_SELECTOR, "details.history summary").click()
    page.wait_text(f"#proposal-{proposal_id} .reviews", "Good name, good unit.")
    page.shot("proposals")

    # The admin publishes it.
    page.sign_in("root")
    page.open("publish")
    assert page.find(f"#publish-{proposal_id}").is_selected()
    page.fill("#publish-note", "payments checkout metrics")
    page.find("#publish-form button[type=submit]").click()
    version = page.find("#published-version")
    assert version.get_attribute("data-version") == "1.1.0"
    assert "minor bump" in version.text and "payments.checkout.duration" in version.text
    page.wait_text("#versions-table", "1.1.0")
    page.shot("publish")

    # Everyone finds it in the browse list and on its own page.
    page.sign_in("alice")
    page.open("metrics?prefix=payments.")
    table = page.find("#metric-table")
    assert "payments.checkout.duration" in table.text and "histogram" in table.text
    page.shot("browse-metrics")
    table.find_element(By.LINK_TEXT, "payments.checkout.duration").click()
    facts = page.wait_text("dl.facts", "team-payments")
    assert "histogram" in facts.text
    assert "error.type" in page.find("main table").text
    page.shot("metric")


def test_a_review_of_a_proposal_decided_meanwhile_shows_the_conflict(
        page: Page, registry: Registry) -> None:
    proposal_id = registry.propose("alice", "payments.refund.duration", "histogram", "s")
    page.sign_in("bob")
    page.open("proposals?subject_prefix=payments.refund")
    page.find(f"#proposal-{proposal_id}")
    rejected = registry.call("root", "POST", f"/v1/proposals/{proposal_id}/reviews",
                             json={"decision": "reject", "comment": "not needed"})
    assert rejected.status_code == 201, rejected.text
    card = review(page, proposal_id, "approve", "stale page")
    problem = card.find_element(By.CSS_SELECTOR, ".problem")
    assert problem.get_attribute("data-status") == "409"
    assert f"proposal {proposal_id} is rejected" in problem.text


def test_the_author_withdraws_a_proposal(page: Page, registry: Registry) -> None:
    proposal_id = registry.propose("alice", "payments.retry.count", "counter", "{retry}")
    page.sign_in("bob")
    page.open("proposals?subject_prefix=payments.retry")
    page.find(f"#proposal-{proposal_id} button[data-decision=approve]")
    assert page.find_all(f"#proposal-{proposal_id} button[data-decision=withdraw]") == []
    page.sign_in("alice")
    page.open("proposals?subject_prefix=payments.retry")
    card = review(page, proposal_id, "withdraw", "")
    assert card.get_attribute("data-status") == "withdrawn"
    assert card.find_elements(By.CSS_SELECTOR, "button[data-decision]") == []


def _report(registry: Registry, service: str, counts: list[dict[str, Any]],
            days: float = 1 / 1440, snapshot_hash: str | None = None) -> None:
    now = dt.datetime.now(dt.timezone.utc)
    report = {"service": service, "window_end": now.isoformat(),
              "window_start": (now - dt.timedelta(days=days)).isoformat(), "counts": counts,
              **({"snapshot_hash": snapshot_hash} if snapshot_hash else {})}
    accepted = registry.call("checkout-guard", "POST", "/v1/usage", json=report)
    assert accepted.status_code == 202, accepted.text


def _numbers(page: Page, css: str, attribute: str) -> list[int]:
    values: list[str] = page.driver.execute_script(
        f"return [...document.querySelectorAll({css!r})].map((n) => n.getAttribute({attribute!r}))")
    return [int(value) for value in values]


def test_the_deprecation_report_lists_who_still_emits(page: Page, registry: Registry) -> None:
    _report(registry, "checkout-api", [
        {"signal": "span", "name": "az.namespace", "action": "pass", "count": 1234},
        {"signal": "span", "name": "az.service_request_id", "action": "pass", "count": 56}])
    _report(registry, "billing", [
        {"signal": "span", "name": "az.namespace", "action": "pass", "count": 300}])
    page.sign_in("alice")
    page.open("deprecations")
    page.find("#deprecations-table")
    api = registry.call("alice", "GET", "/v1/reports/deprecations", params={"limit": 1000}).json()
    rows: list[list[str]] = page.driver.execute_script(
        "return [...document.querySelectorAll('#deprecations-table tbody tr')]"
        ".map((row) => [...row.cells].map((cell) => cell.innerText.trim()))")
    assert len(rows) == len(api["items"]) > 10
    by_name = {row[0]: row for row in rows}
    emitted = by_name["az.namespace"]
    assert emitted[3] == "azure.resource_provider.namespace"
    assert emitted[5] == "1,534"
    assert "checkout-api" in emitted[6] and "1,234" in emitted[6] and "billing" in emitted[6]
    assert emitted[8] == "no"
    quiet = [row for name, row in by_name.items() if not name.startswith("az.")]
    assert quiet and all(row[6] == "nobody" and row[8] == "unknown" for row in quiet), \
        "a minute of reports cannot say that nobody emits a name"

    # The charts carry the report's numbers.
    assert _numbers(page, "#burn-down rect.bar", "data-value") == api["burn_down"]
    assert api["burn_down"][-1] >= 1234 + 300 + 56
    bars = dict(zip(page.driver.execute_script(
        "return [...document.querySelectorAll('#top-emitters rect.bar')]"
        ".map((n) => n.dataset.service)"), _numbers(page, "#top-emitters rect.bar", "data-value"),
        strict=True))
    assert bars["checkout-api"] >= 1234 + 56 and bars["billing"] >= 300
    assert list(bars.values()) == sorted(bars.values(), reverse=True)
    entry = next(e for e in api["items"] if e["name"] == "az.namespace")
    lines = page.driver.execute_script(
        "return Object.fromEntries([...document.querySelectorAll('#deprecations-table tr')]"
        ".filter((row) => row.cells[0] && row.cells[0].innerText.trim() === 'az.namespace')"
        ".flatMap((row) => [...row.querySelectorAll('li[data-service]')])"
        ".map((li) => [li.dataset.service, li.querySelector('svg.sparkline').dataset.values]))")
    assert lines == {e["service"]: ",".join(map(str, e["daily"])) for e in entry["emitters"]}
    page.shot("deprecations")

    # Sorted by usage, the most used comes first; the filter keeps what is still emitted.
    page.open("deprecations?sort=count")
    page.find("#deprecations-table")
    names = page.driver.execute_script(
        "return [...document.querySelectorAll('#deprecations-table tbody tr')]"
        ".map((row) => row.cells[0].innerText.trim())")
    assert names[:2] == ["az.namespace", "az.service_request_id"]
    page.driver.execute_script(
        "const s = document.querySelector('select[name=safe_to_remove]');"
        "s.value = 'no'; s.form.requestSubmit();")
    page.wait_text("#deprecations-table caption", "2 of 2 deprecated contracts")
    page.fill("#field-name", "service_request")
    page.find("form.filters button[type=submit]").click()
    page.wait_text("#deprecations-table caption", "1 of 2 deprecated contracts")
    assert page.find("#deprecations-table tbody").text.startswith("az.service_request_id")


def test_unknown_names_and_services_pages(page: Page, registry: Registry) -> None:
    latest = registry.call("alice", "GET", "/v1/snapshot").json()
    _report(registry, "search-api", [
        {"signal": "metric", "name": "search.latency.custom", "action": "drop", "rule": "TC801",
         "count": 77},
        {"signal": "span", "name": "search.query.raw", "action": "drop", "rule": "TC802",
         "count": 9}], snapshot_hash=latest["content_hash"])
    page.sign_in("alice")
    page.open("unknown")
    table = page.wait_text("#unknown-table", "search.latency.custom")
    text = table.text
    assert "search-api" in text and "TC801" in text and "77" in text and "TC802" in text
    page.shot("unknown-names")
    page.open("services")
    table = page.wait_text("#services-table", "search-api")
    row = next(r for r in table.find_elements(By.CSS_SELECTOR, "tbody tr")
               if r.text.startswith("search-api"))
    assert latest["version"] in row.text and "current" in row.text
    page.shot("services")


def test_a_deprecation_proposal_shows_the_lifecycle_move(page: Page) -> None:
    page.sign_in("alice")
    page.open("propose")
    page.fill("#deprecate-name", "no.such.metric")
    page.find("#deprecate-form button[type=submit]").click()
    problem = page.find("#deprecate-result .problem")
    assert codes(problem) == ["TC103"] and "no.such.metric" in problem.text

    # From the metric's own page: the form comes filled in with its name.
    page.open("metrics/cicd.pipeline.run.errors")
    page.find("main a[href='#/propose?deprecate=cicd.pipeline.run.errors']").click()
    page.wait_text("h1", "Propose a contract")
    assert page.find("#deprecate-name").get_attribute("value") == "cicd.pipeline.run.errors"
    assert page.driver.switch_to.active_element.get_attribute("id") == "deprecate-renamed-to"
    page.fill("#deprecate-renamed-to", "cicd.system.errors")
    page.driver.execute_script("arguments[0].value = '2027-06-30'",
                               page.find("#deprecate-sunset"))
    page.find("#deprecate-form button[type=submit]").click()
    created = page.find("#deprecate-result .proposal-created")
    assert "deprecation cicd.pipeline.run.errors" in created.text
    assert "active → deprecated" in created.text
    assert page.find_all("#propose-result .problem") == []


def test_an_attribute_proposal_from_the_form(page: Page, registry: Registry) -> None:
    page.sign_in("alice")
    page.open("propose")
    page.fill("#attr-key", "payments.method")
    page.choose("#attr-type", "enum")
    page.fill("#attr-members", "card\nwallet\n")
    page.fill("#attr-brief", "How the customer pays.")
    page.choose("#attr-sensitivity", "internal")
    page.find("#attribute-form button[type=submit]").click()
    created = page.find("#attribute-result .proposal-created")
    assert "attribute payments.method" in created.text
    proposal_id = created.get_attribute("data-proposal-id")
    stored = registry.call("alice", "GET", f"/v1/proposals/{proposal_id}").json()
    assert stored["change"]["attribute"]["type"] == {"members": [
        {"id": "card", "value": "card"}, {"id": "wallet", "value": "wallet"}]}
    assert stored["change"]["attribute"]["annotations"] == {"sensitivity": "internal"}


AUDIT = """
const named = (node) => node.textContent.trim() || node.getAttribute("aria-label");
const controls = [...document.querySelectorAll("input, select, textarea")]
  .filter((c) => c.type !== "hidden" && !c.labels.length && !c.getAttribute("aria-label"));
const ids = [...document.querySelectorAll("[id]")].map((node) => node.id);
return {
  unlabeled: controls.map((c) => c.outerHTML),
  unnamed: [...document.querySelectorAll("button, a")].filter((n) => !named(n))
    .map((n) => n.outerHTML),
  duplicateIds: ids.filter((id, i) => ids.indexOf(id) !== i),
  headings: document.querySelectorAll("main h1").length,
  tablesWithoutHeaders: [...document.querySelectorAll("table")]
    .filter((t) => !t.querySelector("th")).length,
  current: [...document.querySelectorAll("nav [aria-current=page]")].map((a) => a.textContent),
};
"""


@pytest.mark.parametrize(("route", "nav"), [
    ("metrics", "Metrics"), ("attributes?prefix=http.request.", "Attributes"),
    ("metrics/http.server.request.duration", "Metrics"),
    ("attributes/http.request.method", "Attributes"), ("propose", "Propose"),
    ("proposals", "Proposals"), ("publish", "Publish"), ("deprecations", "Deprecations"),
    ("unknown", "Unknown names"), ("services", "Services"),
])
def test_every_page_has_labels_one_heading_and_its_nav_marked(page: Page, route: str,
                                                              nav: str) -> None:
    page.sign_in("root")
    page.open(route)
    WebDriverWait(page.driver, WAIT_SECONDS).until(
        lambda driver: driver.find_elements(By.CSS_SELECTOR, "main h1")
        and not driver.find_elements(By.CSS_SELECTOR, "main .loading"))
    assert page.find_all("main .problem") == []
    audit = page.driver.execute_script(AUDIT)
    assert audit == {"unlabeled": [], "unnamed": [], "duplicateIds": [], "headings": 1,
                     "tablesWithoutHeaders": 0, "current": [nav]}
    if route.startswith("attributes/"):
        assert "GET" in page.find("dl.facts").text
        page.shot("attribute")
    elif route.startswith("attributes"):
        page.shot("browse-attributes")
