"""``sim explore``: levers applied as ``--set``, paired replications streamed, the page in Chromium.

The explorer's numbers must be the command line's: a run folder it writes has the same
summary.csv, byte for byte, as ``sim run --precision`` with the same settings and seed; an A/B
arm is the same as ``sim run`` of that setting alone. The browser test drives the real page
(headless Chromium through Selenium) and checks that it asks nothing of any host but its own.
"""

from __future__ import annotations

import json
import math
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner
from conftest import run_tiny_sweep, small_scenario_dict

from sim.cli import main
from sim.config import InputError
from sim.explore import browse, jobs, levers, views

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture(scope="module")
def small_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("explore") / "small.yaml"
    path.write_text(yaml.safe_dump(small_scenario_dict(horizon_days=8, warmup_days=2)))
    return path


# --------------------------------------------------------------------------- levers


def test_levers_become_the_overrides_sim_run_takes(small_file):
    base = levers.lever_values(levers.scenario_with(small_file, []))
    assert base["remote_share"] == 0.5 and base["insecure_literacy"] == 0.39
    assert base["home_internet"] == "default" and base["equipment"] == "default"
    assert levers.overrides_for(base, base) == []  # an untouched page runs the file itself
    moved = {**base, "remote_share": 0.8, "insecure_literacy": 0.1,
             "home_internet": "poor_internet.yaml", "ui_time_factor": 1.5}
    sets = levers.overrides_for(moved, base)
    assert sets == ["staff.remote_share=0.8",
                    "staff.home_internet={urban_fibre: 0.15, urban_mobile: 0.3, rural: 0.35, "
                    "poor_rural: 0.2}",
                    "staff.literacy={advanced: 0.9, insecure: 0.1}",
                    "platform.osdo.ui_time_factors.detractors=1.5"]
    scenario = levers.scenario_with(small_file, sets)
    assert scenario.staff.remote_share == 0.8
    assert scenario.staff.literacy == {"advanced": 0.9, "insecure": 0.1}
    assert scenario.staff.home_internet["poor_rural"] == 0.2
    assert scenario.platform.osdo.ui_time_factors["detractors"] == 1.5


def test_every_lever_shows_its_source():
    for lever in levers.LEVERS:
        assert levers.source_of(lever), lever.name
    sources = {lever.name: levers.source_of(lever) for lever in levers.LEVERS}
    assert "[seed]" in sources["insecure_literacy"] and "assumption" in sources["home_internet"]


def _cli_error(path, override) -> str:
    result = CliRunner().invoke(main, ["validate", str(path), "--set", override])
    assert result.exit_code == 2
    return result.stderr.strip()


@pytest.mark.parametrize("value", [1, 3000])
def test_an_out_of_range_lever_gets_the_cli_message(small_file, value):
    base = levers.lever_values(levers.scenario_with(small_file, []))
    sets = levers.overrides_for({**base, "horizon_days": value}, base)
    with pytest.raises(InputError) as caught:
        levers.scenario_with(small_file, sets)
    assert f"error: {caught.value}" == _cli_error(small_file, sets[0])


# --------------------------------------------------------------------------- jobs


def test_the_explorers_run_folder_is_sim_runs_byte_for_byte(small_file, tmp_path):
    sets = ["staff.remote_share=0.8"]
    scenario = levers.scenario_with(small_file, sets)
    explorer = jobs.Explorer(workers=1, folder=tmp_path / "cache")
    seen = []
    explorer.submit(jobs.pair_request(scenario, 3, "cycle_time_mean_h", 0.3, None, 12))
    snap = explorer.wait()
    assert snap.state == "done", (snap.message, snap.error)
    result = invoke("run", small_file, "--set", sets[0], "--seed", 3, "--precision", 0.3,
                    "--max-replications", 12, "--workers", 1, "--no-plots",
                    "--out", tmp_path / "cli")
    assert result.exit_code == 0, result.output
    stopped = int(re.search(r"precision reached after (\d+) replications", result.output)[1])
    assert snap.reached and snap.replications == stopped < 12
    assert ((snap.run_dir / "summary.csv").read_bytes()
            == (tmp_path / "cli" / "summary.csv").read_bytes())
    # One trace row per replication from the second on; the last is the stopping point.
    assert [row["replications"] for row in snap.trace] == list(range(2, stopped + 1))
    last = snap.trace[-1]
    assert max(last["osdo"], last["esed"]) <= 0.3 < max(snap.trace[-2]["osdo"],
                                                        snap.trace[-2]["esed"])
    # Asking again is answered from the cache, with the same numbers and no new job.
    again = explorer.submit(jobs.pair_request(scenario, 3, "cycle_time_mean_h", 0.3, None, 12))
    assert again.cached and not explorer.busy and again.summary.equals(snap.summary)
    seen.append(again)
    explorer.close()


def test_ab_arms_are_two_sim_runs_on_the_same_random_numbers(small_file, tmp_path):
    a = levers.scenario_with(small_file, [])
    b = levers.scenario_with(small_file, ["staff.remote_share=0.8"])
    explorer = jobs.Explorer(workers=1, folder=tmp_path)
    explorer.submit(jobs.ab_request(a, b, "osdo", 5, "cycle_time_mean_h", 0.01, None, 3))
    snap = explorer.wait()
    assert snap.state == "done" and snap.replications == 3 and not snap.reached
    for key, overrides in (("A", []), ("B", ["--set", "staff.remote_share=0.8"])):
        out = tmp_path / key
        result = invoke("run", small_file, *overrides, "--seed", 5, "--replications", 3,
                        "--platform", "osdo", "--workers", 1, "--no-plots", "--out", out)
        assert result.exit_code == 0, result.output
        cli = pd.read_csv(out / "summary.csv")
        mine = snap.summary[snap.summary.platform == key]
        assert mine.cycle_time_mean_h.tolist() == pytest.approx(cli.cycle_time_mean_h.tolist(),
                                                                rel=1e-12)
    # The paired difference is B - A replication by replication.
    table = snap.summary.pivot(index="replication", columns="platform",
                               values="cycle_time_mean_h")
    assert snap.paired()["cycle_time_mean_h"]["mean"] == pytest.approx(
        (table.B - table.A).mean())
    explorer.close()


def test_the_same_setting_twice_differs_by_exactly_nothing(small_file, tmp_path):
    a = levers.scenario_with(small_file, [])
    explorer = jobs.Explorer(workers=1, folder=tmp_path)
    explorer.submit(jobs.ab_request(a, a, "esed", 2, "cycle_time_mean_h", 0.5, None, 2))
    snap = explorer.wait()
    diff = snap.paired()["cycle_time_mean_h"]
    assert diff["mean"] == 0 and diff["half_width"] == 0
    assert views.difference_words("cycle_time_mean_h", diff, "B", "A") == \
        "the same in every replication"
    explorer.close()


@pytest.mark.parametrize(("diff", "words"), [
    ({"mean": 1.0, "half_width": 2.0, "n": 5}, "could not tell apart (the interval includes zero)"),
    ({"mean": -3.0, "half_width": 2.0, "n": 5},
     "B looks lower than A; by how much could not be pinned down"),
    ({"mean": 3.04, "half_width": 0.5, "n": 5}, "B is higher than A by 3.0 h"),
    ({"mean": 3.0, "half_width": math.nan, "n": 1}, "no interval yet: 1 replication"),
    # Two replications have a t interval, but too wide to show (fewer than three).
    ({"mean": 3.0, "half_width": 1.0, "n": 2}, "no interval yet: 2 replications"),
    ({"mean": math.nan, "half_width": math.nan, "n": 0}, "no value: not defined in these runs"),
])
def test_the_words_claim_no_more_than_the_interval(diff, words):
    assert views.difference_words("cycle_time_mean_h", diff, "B", "A") == words


def test_a_failing_run_is_shown_and_the_explorer_goes_on(small_file, tmp_path, monkeypatch):
    scenario = levers.scenario_with(small_file, [])
    explorer = jobs.Explorer(workers=1, folder=tmp_path)
    real = jobs._timed_run

    def broken(scenario, platform, replication, seed):
        if replication == 1:
            raise ZeroDivisionError("a model bug\nwith a second line")
        return real(scenario, platform, replication, seed)

    monkeypatch.setattr(jobs, "_timed_run", broken)
    explorer.submit(jobs.pair_request(scenario, 1, "cycle_time_mean_h", 0.5, None, 4))
    snap = explorer.wait()
    assert snap.state == "failed"
    assert snap.error == "ZeroDivisionError: a model bug"
    assert snap.replications == 1  # replication 0 finished before 1 failed
    assert not explorer.cache
    monkeypatch.setattr(jobs, "_timed_run", real)
    explorer.submit(jobs.pair_request(scenario, 1, "cycle_time_mean_h", 0.5, None, 2))
    assert explorer.wait().state == "done"
    explorer.close()


# --------------------------------------------------------------------------- folders


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    return run_tiny_sweep(tmp_path_factory.mktemp("sweep"), 5, {
        "name": "tiny", "replications": 2, "seed": 7,
        "parameters": {"staff.remote_share": {"values": [0.2, 0.6]}},
        "kpis": ["cycle_time_mean_h", "on_time_rate"],
    })


def write_options(folder: Path) -> Path:
    """A small options folder as `sim options` writes it (the test's own numbers)."""
    folder.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({
        "option": ["nothing", "training", "equipment", "both"],
        "cost": [0.0, 10.0, 25.0, 35.0],
        "cycle_time_mean_h_effect": [0.0, -2.0, -1.0, -2.5],
        "cycle_time_mean_h_low": [0.0, -3.0, -2.5, -3.5],
        "cycle_time_mean_h_high": [0.0, -1.0, 0.5, -1.5],
        "on_frontier": [True, True, False, True],
        "prob_best": [0.0, 0.3, 0.05, 0.65],
    }).to_csv(folder / "options.csv", index=False)
    return folder


def test_an_options_folder_gives_its_frontier_and_ranking(tmp_path):
    found = browse.read_options(write_options(tmp_path / "options"))
    assert found.kpis == ["cycle_time_mean_h"]
    assert found.frontier().option.tolist() == ["nothing", "training", "both"]
    assert found.ranking().option.tolist() == ["both", "training", "equipment", "nothing"]


def test_what_sim_explore_was_given(small_file, swept, tmp_path):
    options = write_options(tmp_path / "options")
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "summary.json").write_text("{}")
    assert [browse.what_is(p) for p in (small_file, swept, options, tmp_path / "run")] == \
        ["scenario", "sweep", "options", "run"]
    with pytest.raises(browse.BrowseError, match="no such file or folder"):
        browse.what_is(tmp_path / "nothing")


def test_folders_that_are_not_sweeps_or_options_say_so(tmp_path):
    (tmp_path / "opts").mkdir()
    (tmp_path / "opts" / "options.csv").write_text("option,price\na,1\n")
    with pytest.raises(browse.BrowseError, match=r"options.csv: no column cost"):
        browse.read_options(tmp_path / "opts")
    (tmp_path / "empty").mkdir()
    with pytest.raises(browse.BrowseError, match="neither a sweep folder"):
        browse.folder_kind(tmp_path / "empty")
    result = invoke("explore", tmp_path / "empty", "--no-browser")
    assert result.exit_code == 2 and len(result.stderr.strip().splitlines()) == 1
    assert "neither a sweep folder" in result.stderr and "Traceback" not in result.output


def test_the_page_is_served_before_the_simulation_loads():
    """Building the app needs Shiny and the scenario schema, not pandas, SciPy or SimPy."""
    pytest.importorskip("shiny")
    code = ("import sys, sim.explore.app, sim.explore.serve\n"
            "print(sorted(m for m in ('pandas', 'scipy', 'simpy', 'matplotlib') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, check=True)
    assert out.stdout.strip() == "[]"


def test_without_the_extra_sim_explore_says_how_to_install_it(small_file, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "shiny" else real(name, *a))
    result = invoke("explore", small_file, "--no-browser")
    assert result.exit_code == 2
    assert result.stderr.strip() == ("error: sim explore needs Shiny for Python: pip install "
                                     "'docflow-sim[explore]' (or pip install shiny)")


def test_a_taken_port_is_one_line(small_file):
    pytest.importorskip("shiny")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = invoke("explore", small_file, "--no-browser", "--port", port)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: --port {port}: cannot listen on 127.0.0.1:{port}")


# --------------------------------------------------------------------------- the page


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def served(small_file, tmp_path_factory):
    """`sim explore` of the small scenario, on a free port, in its own process."""
    pytest.importorskip("shiny", reason="the explorer is an extra: pip install -e '.[explore]'")
    if not (CHROMIUM and CHROMEDRIVER):
        pytest.skip("chromium and chromium-driver are not installed (CI installs them)")
    port = _free_port()
    log = tmp_path_factory.mktemp("served") / "server.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "sim", "explore", str(small_file), "--no-browser",
             "--port", str(port), "--workers", "2", "--seed", "11"],
            cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        for _ in range(600):
            try:
                with urllib.request.urlopen(url, timeout=1) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                if server.poll() is not None:
                    pytest.fail(f"sim explore ended: {log.read_text()}")
                time.sleep(0.1)
        yield url
    finally:
        server.terminate()
        server.wait(30)


@pytest.fixture(scope="module")
def page(served, tmp_path_factory):
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    profile = tmp_path_factory.mktemp("chromium-profile")
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--window-size=1300,1000",
                 f"--user-data-dir={profile}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    try:
        driver.get(served)
        yield driver
    finally:
        driver.quit()


def _wait(driver, script, timeout=120.0):
    """Poll a JavaScript expression until it is truthy; its value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = driver.execute_script(f"return {script}")
        if value:
            return value
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {script}")


STATE = "document.getElementById('run-status')?.dataset.state"


def _click(driver, by, what):
    """Click an element after scrolling it to the middle of the window (the page is long)."""
    from selenium.common.exceptions import ElementClickInterceptedException

    element = driver.find_element(by, what)
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
    try:
        element.click()
    except ElementClickInterceptedException:  # the navbar, above a page scrolled its own way
        driver.execute_script("window.scrollTo(0, 0); arguments[0].click()", element)


def _set_numeric(driver, ident, value):
    box = driver.find_element("id", ident)
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", box)
    box.clear()
    box.send_keys(str(value))


def _run_and_wait(driver, states=("done",)):
    """Press Run and wait for that run (not the one before) to end in one of ``states``."""
    before = driver.execute_script(
        "return document.getElementById('run-status')?.dataset.request || ''")
    _click(driver, "id", "run")
    _wait(driver, "document.getElementById('run-status')?.dataset.request !== "
                  f"{json.dumps(before)}", 30)
    state = _wait(driver, f"['done','failed','cancelled'].includes({STATE}) && {STATE}")
    assert state in states, driver.find_element("id", "status").text
    return state


def test_the_page_runs_streams_compares_cancels_and_browses(page, served, swept, tmp_path):
    from selenium.webdriver.common.action_chains import ActionChains

    _wait(page, "document.getElementById('input-ok')", 60)
    # A slider moved by the mouse: the remote share goes up from the file's 0.5.
    handle = page.find_element("css selector", ".irs--shiny .irs-handle")
    ActionChains(page).drag_and_drop_by_offset(handle, 90, 0).perform()
    moved = float(_wait(page, "Number($('#lever_remote_share').val()) > 0.5 && "
                              "$('#lever_remote_share').val()"))
    # Bad input: the command line's one line, in the page.
    expected = _cli_error(Path(page.execute_script("return $('#scenario').val()")),
                          "horizon_days=1")
    _set_numeric(page, "lever_horizon_days", 1)
    _wait(page, f"document.getElementById('input-error')?.innerText === {json.dumps(expected)}")
    _set_numeric(page, "lever_horizon_days", 8)
    _wait(page, "document.getElementById('input-ok')")

    # A short paired run, streamed: the interval appears, then narrows.
    _set_numeric(page, "precision", 0.001)
    _set_numeric(page, "max_reps", 6)
    _click(page, "id", "run")
    first = json.loads(_wait(page, "(() => { const r = document.querySelector("
                                   "'#trace-table tbody tr'); return r && JSON.stringify("
                                   "{n: r.dataset.replications, h: r.lastElementChild.dataset"
                                   ".halfWidth}); })()"))
    assert first["n"] == "2" and float(first["h"]) > 0
    _wait(page, f"{STATE} === 'done'")
    rows = page.execute_script(
        "return Array.from(document.querySelectorAll('#trace-table tbody tr')).map("
        "r => [Number(r.dataset.replications), Number(r.lastElementChild.dataset.halfWidth)])")
    assert [n for n, _ in rows] == [2, 3, 4, 5, 6]
    assert rows[-1][1] < rows[0][1]
    cells = page.execute_script(
        "return Array.from(document.querySelectorAll('#kpi-table td[data-half-width]')).map("
        "c => c.dataset.n)")
    assert cells and set(cells) == {"6"}
    _wait(page, "document.querySelectorAll('#findings-list li').length > 0")
    _wait(page, "document.images.length >= 4 && Array.from(document.images).every("
                "i => i.complete && i.naturalWidth > 0)")
    assert page.execute_script("return document.getElementById('paired-png') !== null")
    # The same numbers as `sim run` with the moved lever and the explorer's seed.
    run_dir = Path(re.search(r"Run folder: (\S+)", page.find_element("id", "status").text)[1])
    result = invoke("run", run_dir / "scenario.resolved.yaml", "--seed", 11, "--precision",
                    0.001, "--max-replications", 6, "--workers", 1, "--no-plots", "--out",
                    tmp_path / "cli")
    assert result.exit_code == 0, result.output
    assert levers.scenario_with(run_dir / "scenario.resolved.yaml", []).staff.remote_share \
        == pytest.approx(moved)
    assert (run_dir / "summary.csv").read_bytes() == (tmp_path / "cli" / "summary.csv"
                                                      ).read_bytes()
    # Asking again is instant: from the cache.
    _click(page, "id", "run")
    _wait(page, "document.getElementById('run-status')?.dataset.cached === 'yes'", 30)

    # Cancel a long run; the next run (A/B) works on new workers.
    _set_numeric(page, "max_reps", 500)
    _set_numeric(page, "seed", 99)
    _click(page, "id", "run")
    _wait(page, f"{STATE} === 'running' && Number(document.getElementById('run-status')"
                ".dataset.replications) >= 1")
    _click(page, "id", "cancel")
    _wait(page, f"{STATE} === 'cancelled'", 60)
    kept = int(page.execute_script("return document.getElementById('run-status')"
                                   ".dataset.replications"))
    assert 1 <= kept < 500
    assert page.find_element("id", "run-status").text.startswith(
        f"cancelled after {kept} replication(s)")

    # A/B: keep this setting as A, move the lever back, compare on the same draws.
    _click(page, "css selector", "input[name=mode][value=ab]")
    _wait(page, "$('#keep_a').is(':visible')", 10)
    _click(page, "id", "keep_a")
    _wait(page, "document.getElementById('a-setting')?.innerText.includes('remote')", 10)
    page.execute_script("$('#lever_remote_share').data('ionRangeSlider').update({from: 0.3})")
    _set_numeric(page, "max_reps", 3)
    _set_numeric(page, "seed", 11)
    _run_and_wait(page)
    header = page.execute_script(
        "return Array.from(document.querySelectorAll('#kpi-table th')).map(t => t.innerText)")
    assert header[1:4] == ["B", "A", "B − A (paired)"]
    assert page.execute_script("return document.querySelectorAll('#findings-list li').length")

    # Browse a sweep folder, read-only.
    _click(page, "link text", "Browse results")
    _set_numeric(page, "folder", swept)
    _click(page, "id", "open")
    assert _wait(page, "document.getElementById('browse-title')?.innerText") == \
        f"Sweep: {swept.name}"
    _wait(page, "document.querySelectorAll('#browse_table tbody tr').length >= 8")
    _wait(page, "document.querySelectorAll('#browse_more img').length >= 2 && Array.from("
                "document.querySelectorAll('#browse_more img')).every(i => i.naturalWidth > 0)")

    # And an options folder (sim options): the ranking, a frontier per objective KPI.
    options = write_options(tmp_path / "options")
    _set_numeric(page, "folder", options)
    _click(page, "id", "open")
    assert _wait(page, "document.getElementById('browse-title')?.innerText.startsWith("
                       "'Options') && document.getElementById('browse-title').innerText") == \
        "Options: options"
    _wait(page, "document.querySelectorAll('#browse_table tbody tr').length === 4")
    assert page.execute_script(
        "return Array.from(document.querySelectorAll('#frontier-table tbody tr td:first-child'))"
        ".map(c => c.innerText)") == ["nothing", "training", "both"]
    _wait(page, "Array.from(document.querySelectorAll('#browse_more img')).some("
                "i => i.alt === 'frontier cycle_time_mean_h' && i.naturalWidth > 0)")

    # Nothing but this server was asked for anything (data: images and the browser's own
    # chrome:// pages are no network requests).
    hosts = set()
    for entry in page.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            hosts.add(urlsplit(message["params"]["request"]["url"]))
        elif message["method"] == "Network.webSocketCreated":
            hosts.add(urlsplit(message["params"]["url"]))
    network = {(u.scheme, u.netloc) for u in hosts if u.scheme in ("http", "https", "ws", "wss")}
    here = urlsplit(served).netloc
    assert network == {("http", here), ("ws", here)}, network
    assert [e for e in page.get_log("browser") if e["level"] == "SEVERE"] == []
