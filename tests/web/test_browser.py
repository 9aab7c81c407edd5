"""``isamm studio`` in a real browser: Debian's Chromium driven by Playwright.

One server (``python -m isamm studio --port P`` on a free port) and one browser serve the whole module.
Screenshots are kept in ``tests/web/artifacts/`` (git-ignored). The page tests skip only when Chromium or
Playwright is missing (``.ci/run`` installs Chromium so that CI always runs them); the test that the server
listens on 127.0.0.1 only needs no browser and always runs.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from web._support import LABS

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
TIMEOUT_MS = 60_000


def _chromium() -> str | None:
    for candidate in (shutil.which("chromium"), "/usr/bin/chromium"):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    """``isamm studio`` on a free port; yields its base URL; stopped (by its own pid) afterwards."""
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "isamm", "studio", "--port", str(port)], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        first = proc.stdout.readline()
        assert first.startswith(f"isamm studio: {url}"), first
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.read() == b"ok":
                        break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError("isamm studio did not start: " + proc.stdout.read()) from None
                time.sleep(0.3)
        yield {"url": url, "port": port, "pid": proc.pid}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        proc.stdout.close()


@pytest.fixture(scope="module")
def page(server):
    """One Chromium page for the module; the browser tests skip (only) when Chromium is not installed."""
    if _chromium() is None:
        pytest.skip("Chromium is not installed (apt-get install chromium; .ci/run does it)")
    sync_api = pytest.importorskip("playwright.sync_api")
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=_chromium(), args=["--no-sandbox", "--disable-gpu"])
        try:
            pg = browser.new_page(viewport={"width": 1400, "height": 2400})  # tall: the app scrolls in its pane
            pg.set_default_timeout(TIMEOUT_MS)
            yield pg
        finally:
            browser.close()


def _open(page, server, path: str = "") -> None:
    page.goto(f"{server['url']}/{path}")
    page.get_by_test_id("stSidebarNav").wait_for()


def _idle(page) -> None:
    """Wait until the app's script has finished its current run (after an upload or a click)."""
    page.wait_for_timeout(250)
    page.locator("[data-testid=stApp][data-test-script-state=notRunning]").wait_for(state="attached")


def _fill(page, label: str, value) -> None:
    box = page.get_by_label(label, exact=True)
    box.fill(str(value))
    box.press("Tab")


def _shot(page, name: str) -> None:
    page.wait_for_timeout(300)  # let the last element finish drawing
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def _expect_plot_and_table(page) -> None:
    page.locator("[data-testid=stImage] img").first.wait_for(state="visible")
    page.get_by_test_id("stDataFrame").first.wait_for(state="visible")


def _error_text(page) -> str:
    alert = page.get_by_test_id("stAlertContentError").first
    alert.wait_for(state="visible")
    lines = [line for line in alert.inner_text().splitlines() if line.strip()]
    assert len(lines) == 2, lines  # the icon and one line of text
    return lines[-1]


# -- the server ----------------------------------------------------------------------------
def _listeners(port: int) -> set[str]:
    """Local addresses (hex, as in /proc/net/tcp*) of the sockets listening on ``port``."""
    out = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.rsplit(":", 1)
            if state == "0A" and int(hex_port, 16) == port:  # 0A = LISTEN
                out.add(address)
    return out


def test_server_answers_on_127_0_0_1_only(server):
    with urllib.request.urlopen(f"{server['url']}/_stcore/health", timeout=5) as r:
        assert r.read() == b"ok"
    # another address of this machine (loopback range, so no packet leaves it) gets no answer
    with socket.socket() as s, pytest.raises(ConnectionRefusedError):
        s.settimeout(5)
        s.connect(("127.0.0.2", server["port"]))
    # and the only listening socket on the port is bound to 127.0.0.1: none on 0.0.0.0, ::, or the
    # machine's other interfaces (read from the kernel's table, without sending traffic to them)
    if Path("/proc/net/tcp").exists():
        assert _listeners(server["port"]) == {"0100007F"}


# -- the pages -----------------------------------------------------------------------------
def test_regimen_page(page, server):
    _open(page, server)
    page.get_by_role("button", name="Make the calendar").click()
    page.get_by_text("administrations; BSA").wait_for()
    page.get_by_test_id("stDataFrame").first.wait_for(state="visible")
    page.get_by_role("tab", name="Calendar view").click()
    page.locator("[data-testid=stImage] img").first.wait_for(state="visible")
    page.get_by_role("button", name="Download iCalendar (.ics)").wait_for(state="visible")
    _shot(page, "regimen")


def test_exposure_page(page, server):
    _open(page, server, "exposure")
    _fill(page, "Weeks", 8)
    _fill(page, "Virtual patients for the band", 30)
    page.get_by_role("button", name="Simulate").click()
    _expect_plot_and_table(page)
    page.get_by_text("Exposure metrics").wait_for(state="visible")
    _shot(page, "exposure")


def test_washout_page(page, server):
    _open(page, server, "washout")
    _fill(page, "Virtual patients per model", 30)
    _fill(page, "Follow-up after the last dose (days)", 240)
    page.get_by_role("button", name="Predict the washout").click()
    _expect_plot_and_table(page)
    _shot(page, "washout")


def test_response_page_and_a_bad_upload(page, server, bad_labs):
    _open(page, server, "response")
    page.locator("input[type=file]").set_input_files(str(LABS))
    page.get_by_text(LABS.name).first.wait_for()
    _idle(page)
    page.get_by_role("button", name="Assess response").click()
    _expect_plot_and_table(page)
    _shot(page, "response")
    page.locator("input[type=file]").set_input_files(str(bad_labs))
    page.get_by_text(bad_labs.name).first.wait_for()
    _idle(page)
    page.get_by_role("button", name="Assess response").click()
    message = _error_text(page)
    assert "bad_labs.csv, row 1, column 'serum_m': unknown column; did you mean 'serum_m_g_dl'?" in message
    assert "Traceback" not in page.content()
    _shot(page, "response-bad-upload")


def test_cohort_page_and_a_bad_upload(page, server, small_cohort, bad_cohort):
    _open(page, server, "cohort")
    page.locator("input[type=file]").first.set_input_files(str(small_cohort))
    _idle(page)
    page.get_by_role("button", name="Run the analysis").click()  # the guessed columns: futime, death
    _expect_plot_and_table(page)
    page.get_by_role("button", name="Download the HTML report").wait_for(state="visible")
    _shot(page, "cohort")
    page.locator("input[type=file]").first.set_input_files(str(bad_cohort))
    page.get_by_text(bad_cohort.name).first.wait_for()
    _idle(page)
    page.get_by_role("button", name="Run the analysis").click()
    message = _error_text(page)
    assert "bad_cohort.csv, row 4, column 'death': event must be 0 or 1" in message
    _shot(page, "cohort-bad-upload")


def test_an_upload_over_the_limit_is_refused_with_a_message(page, server, tmp_path):
    from isamm.web import MAX_UPLOAD_MB

    big = tmp_path / "big.csv"
    with big.open("wb") as f:
        f.truncate((MAX_UPLOAD_MB + 1) * 1024 * 1024)
    _open(page, server, "response")
    page.locator("input[type=file]").set_input_files(str(big))
    page.get_by_test_id("stTooltipErrorHoverTarget").hover()
    page.get_by_text(f"File must be {MAX_UPLOAD_MB:.1f}MB or smaller.").wait_for(state="visible")
    _shot(page, "upload-too-large")
    page.get_by_role("button", name="Assess response").click()  # the refused file never reaches the app
    assert _error_text(page).startswith("error: no lab table")


def test_trial_page(page, server):
    _open(page, server, "trial")
    _fill(page, "Patients per arm (0: as in the definition)", 20)
    page.get_by_role("button", name="Run the trial").click()
    _expect_plot_and_table(page)
    page.get_by_role("button", name="Download the report (HTML)").wait_for(state="visible")
    _shot(page, "trial")


def test_a_long_trial_run_can_be_cancelled(page, server):
    _open(page, server, "trial")
    _fill(page, "Replicates (trials of the published size)", 200)
    page.get_by_role("button", name="Run the trial").click()
    page.get_by_test_id("stProgress").wait_for(state="visible")
    page.get_by_role("button", name="Cancel").click()
    _idle(page)
    page.get_by_test_id("stProgress").wait_for(state="detached")  # at the next finished arm
    assert page.get_by_test_id("stDataFrame").count() == 0  # no result: the run stopped
    _shot(page, "trial-cancelled")


def test_evidence_page(page, server):
    _open(page, server, "evidence")
    page.get_by_test_id("stDataFrame").nth(1).wait_for(state="visible")
    page.get_by_role("button", name="Download the comparison (JSON)").wait_for(state="visible")
    _shot(page, "evidence")
