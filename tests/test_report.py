"""The HTML report: content from the numbers, self-contained, and rendered by a real browser."""

import json
import math
import re
import shutil

import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import run_tiny_sweep, small_scenario

from sim.cli import main
from sim.config import dump_resolved
from sim.experiments.statistics import mean_ci
from sim.model.documents import DELAY_COMPONENTS
from sim.outputs import report, sweep_report
from sim.outputs.words import component_words

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def reported_run(tmp_path_factory):
    """`sim run --report` of the baseline scenario, shortened to 10 days, three replications.

    Ten days are shorter than the terms: drafts start at once, so that letters between bodies
    are done and received within the run.
    """
    out = tmp_path_factory.mktemp("report") / "run"
    result = invoke("run", "scenarios/baseline.yaml", "--out", out, "--replications", 3,
                    "--set", "horizon_days=10", "--set", "warmup_days=2",
                    "--set", "start.snapshot_days=10",
                    "--set", "staff.draft_start_days_before_term=null", "--report")
    assert result.exit_code == 0, result.output
    assert f"report written to {out / 'report.html'}" in result.output
    return out


def test_report_is_self_contained(reported_run):
    page = (reported_run / "report.html").read_text()
    # Every resource is inline: nothing for the browser to fetch.
    for attr in re.findall(r"""(?:src|href)=['"]([^'"]*)['"]""", page):
        assert attr.startswith("data:"), attr
    assert "<script" not in page
    # attribution, cycle time, open documents, two late shares, paired differences
    assert page.count("<img ") == 6


def test_kpi_table_has_a_row_per_kpi_with_intervals(reported_run):
    page = (reported_run / "report.html").read_text()
    meta = json.loads((reported_run / "summary.json").read_text())
    table = re.search(r"<table class='kpi'>.*?</table>", page, re.S).group(0)
    names = re.findall(r"<tr><td><code>([^<]+)</code>", table)
    assert names == list(meta["kpi_descriptions"])
    cycle = meta["platforms"]["esed"]["cycle_time_mean_h"]
    assert f"<td class='n'>{report._kpi_text('cycle_time_mean_h', cycle)}</td>" in table
    assert re.search(r"<td class='n'>[\d.,]+ ± [\d.,]+ h</td>", table)
    # Numbers in their units: shares in %, counts with thousands separators, no 1.2e+04.
    assert re.search(r"<td class='n'>\d+\.\d+% ± \d+\.\d+%</td>", table)
    assert re.search(r"<td class='n'>\d,\d{3} ± [\d,]+ documents</td>", table)
    assert "e+0" not in table and " ± 0<" not in table


def test_report_sections_are_filled_from_the_run(reported_run):
    run = report.load_run(reported_run)
    page = report.render(run)
    for section in ("scenario", "findings", "kpis", "attribution", "plots"):
        assert f"<section id='{section}'>" in page
    assert "50% of staff work from home" in page
    assert "4 bodies (1 central ministry, 2 local executive, 1 district akimat) with 480 staff" \
        in page
    # Where the time goes: a row per delay component, a share per platform.
    table = re.search(r"<table class='attribution'>.*?</table>", page, re.S).group(0)
    assert re.findall(r"<tr><td><code>([^<]+)</code>", table) == list(DELAY_COMPONENTS)
    handling = run.intervals["osdo"]["delay_share_handling"]
    assert f"<td class='n'>{report._kpi_text('delay_share_handling', handling)}</td>" in table
    found = report.findings(run)
    assert len(found) >= 3
    assert any(f.startswith("Where the time goes on ESED") for f in found)


def test_gateway_finding_is_computed_from_received_letters(reported_run):
    run = report.load_run(reported_run)
    docs = pd.read_csv(reported_run / "documents.csv")
    received = docs[docs.id.str.contains(">") & docs.completed_min.notna()]
    esed = received[received.platform == "esed"]
    per_rep = esed.delay_gateway_min.groupby(esed.replication).mean()
    text = next(f for f in report.findings(run) if f.startswith("Inter-agency letters on ESED"))
    assert f"spend {report._ci_text(mean_ci(per_rep.to_numpy()))} minutes each" in text


def _ci(mean, half):
    return {"mean": mean, "half_width": half, "low": mean - half, "high": mean + half, "n": 5}


class _FakeRun:
    """Just enough of a RunData for the paired findings."""

    def __init__(self, diff):
        self.intervals = {p: {"cycle_time_mean_h": _ci(30.0, 1.0)} for p in ("osdo", "esed")}
        self.paired = {"cycle_time_mean_h": diff}


def test_findings_claim_a_difference_only_when_the_interval_excludes_zero():
    (shorter,) = report._paired_findings(_FakeRun(_ci(-2.5, 0.4)))
    assert shorter.startswith("Mean cycle time is 2.5 ± 0.4 h shorter on OSDO than on ESED")
    (unclear,) = report._paired_findings(_FakeRun(_ci(-2.5, 3.0)))
    assert unclear == ("Mean cycle time: could not tell OSDO (30.0 ± 1.0 h) and ESED "
                       "(30.0 ± 1.0 h) apart; OSDO minus ESED is -2.5 ± 3.0 h, and its 95% "
                       "interval includes zero.")
    (wide,) = report._paired_findings(_FakeRun(_ci(-2.5, 2.0)))  # out of zero, but wide
    assert wide.startswith("Mean cycle time looks shorter on OSDO than on ESED")
    assert "could not be pinned down" in wide
    single = {"mean": -2.5, "half_width": math.nan, "low": math.nan, "high": math.nan, "n": 1}
    assert report._paired_findings(_FakeRun(single)) == []


def test_single_replication_says_there_are_no_intervals(tmp_path):
    scenario_file = tmp_path / "s.yaml"
    scenario_file.write_text(dump_resolved(small_scenario(horizon_days=4, warmup_days=1)))
    out = tmp_path / "run"
    assert invoke("run", scenario_file, "--out", out, "--replications", 1, "--no-plots",
                  "--platform", "esed").exit_code == 0
    result = invoke("report", out)
    assert result.exit_code == 0
    page = (out / "report.html").read_text()
    assert "Only one replication was run, so there are no confidence intervals" in page
    assert "OSDO − ESED" not in page


def test_report_of_a_folder_that_is_not_a_run_exits_2(tmp_path):
    result = CliRunner().invoke(main, ["report", str(tmp_path)])
    assert result.exit_code == 2
    assert "neither a run folder nor a sweep folder" in result.output
    assert "summary.json (written by `sim run`)" in result.output
    assert "sweep.sqlite / points.csv (written by `sim sweep`)" in result.output
    assert "Traceback" not in result.output
    (tmp_path / "summary.json").write_text("{}")  # a run folder with files missing
    result = CliRunner().invoke(main, ["report", str(tmp_path)])
    assert result.exit_code == 2 and "summary.csv is missing" in result.output


def test_findings_caution_about_few_replications_and_name_the_component(reported_run):
    found = report.findings(report.load_run(reported_run))
    caution = next(f for f in found if f.startswith("Caution"))
    assert "only 3 replications (fewer than 5)" in caution
    assert any("delay component" in f for f in found)
    # It names the component whose paired OSDO - ESED share differs most.
    run = report.load_run(reported_run)
    largest = max((c for c in DELAY_COMPONENTS if run.paired.get(f"delay_share_{c}")),
                  key=lambda c: abs(run.paired[f"delay_share_{c}"]["mean"]))
    (named,) = [f for f in found if "delay component" in f]
    assert f"<i>{component_words(largest)}</i>" in named
    assert not any(re.search(r"\d\.\d+e[+-]\d", f) for f in found)


# --------------------------------------------------------------------------- a real browser


@pytest.fixture
def browser(tmp_path):
    if not (CHROMIUM and CHROMEDRIVER):
        pytest.skip("chromium and chromium-driver are not installed (CI installs them: "
                    "apt-get install chromium chromium-driver)")
    webdriver = pytest.importorskip(
        "selenium.webdriver", reason="selenium is a test dependency: pip install -e '.[test]'")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--window-size=1200,900",
                 f"--user-data-dir={tmp_path / 'chromium-profile'}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # An explicit driver path: Selenium Manager never tries to download one.
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def test_report_renders_in_chromium(reported_run, browser, tmp_path):
    page = reported_run / "report.html"
    browser.get(page.resolve().as_uri())
    assert browser.execute_script("return document.readyState") == "complete"
    assert browser.title == "docflow-sim report: baseline"
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []
    widths = browser.execute_script(
        "return Array.from(document.images).map(i => i.complete ? i.naturalWidth : 0)")
    assert len(widths) == 6
    assert all(w > 0 for w in widths), widths
    meta = json.loads((reported_run / "summary.json").read_text())
    rows = browser.execute_script(
        "return document.querySelectorAll('table.kpi tbody tr').length")
    assert rows == len(meta["kpi_descriptions"])
    filled = browser.execute_script(
        "return ['scenario', 'findings', 'kpis', 'attribution', 'plots'].map("
        "id => document.getElementById(id).innerText.trim().split('\\n').length)")
    assert all(n >= 3 for n in filled), filled
    # A screenshot of the whole page for a reviewer (kept under pytest's tmp_path).
    height = browser.execute_script("return document.documentElement.scrollHeight")
    browser.set_window_size(1200, height)
    shot = tmp_path / "report.png"
    assert browser.save_screenshot(str(shot))
    assert shot.stat().st_size > 10_000


def test_browser_check_catches_a_broken_image(reported_run, browser, tmp_path):
    # The image check above is not vacuous: a page with a corrupt image fails it.
    page = (reported_run / "report.html").read_text()
    broken = tmp_path / "broken.html"
    broken.write_text(page.replace("data:image/png;base64,iVBOR",
                                   "data:image/png;base64,AAAA", 1))
    browser.get(broken.resolve().as_uri())
    widths = browser.execute_script(
        "return Array.from(document.images).map(i => i.complete ? i.naturalWidth : 0)")
    assert sorted(w > 0 for w in widths) == [False, True, True, True, True, True]


def test_unstable_replications_are_warned_about_with_the_busiest_resource(reported_run):
    run = report.load_run(reported_run)
    assert not any(f.startswith("Warning:") for f in report.findings(run))  # a stable run
    run.meta["stability"]["esed"].update(unstable_replications=2,
                                         saturated_resource="heads of <A & B>")
    (warning,) = [f for f in report.findings(run) if f.startswith("Warning:")]
    assert warning.startswith("Warning: on ESED, 2 of 3 replications look unstable")
    assert warning.endswith("Busiest resource: heads of &lt;A &amp; B&gt;.")


def test_a_scenario_read_in_its_transient_on_purpose_says_why(reported_run):
    # A scenario such as national.yaml names why it is read outside a steady state: the report
    # says so in those words (escaped) instead of leaving the reader to trust the means.
    run = report.load_run(reported_run)
    assert not any("not in a steady state" in f for f in report.findings(run))
    start = run.scenario.start.model_copy(update={"transient_reason": "1,159 bodies <cost>"})
    run.scenario = run.scenario.model_copy(update={"start": start})
    (line,) = [f for f in report.findings(run) if "not in a steady state" in f]
    assert line.endswith("on purpose (MSER-5's warm-up estimate does not apply): "
                         "1,159 bodies &lt;cost&gt;")


def test_a_report_cut_off_while_written_leaves_the_old_one_whole(reported_run, monkeypatch,
                                                                   tmp_path):
    # A disk that fills (or a Ctrl-C) halfway through the write: the report already there stays
    # as it was, and nothing half-written is left beside it.
    target = tmp_path / "report.html"
    target.write_text("the old report", encoding="utf-8")
    real = type(target).write_text

    def half_then_fail(self, text, *args, **kwargs):
        real(self, text[: len(text) // 2], *args, **kwargs)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(type(target), "write_text", half_then_fail)
    with pytest.raises(OSError):
        report.write_report(reported_run, target)
    monkeypatch.undo()
    assert target.read_text(encoding="utf-8") == "the old report"
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


# --------------------------------------------------------------------------- a sweep folder


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    """`sim sweep` of two remote shares x two replications x OSDO and ESED, small bodies."""
    return run_tiny_sweep(tmp_path_factory.mktemp("sweep"), 5, {
        "name": "tiny", "description": "remote share, small bodies",
        "replications": 2, "seed": 7,
        "parameters": {"staff.remote_share": {"values": [0.2, 0.6]}},
        "kpis": ["cycle_time_mean_h", "on_time_rate", "unofficial_channel_share"],
    })


def test_sweep_report_shows_the_design_differences_and_plots(swept):
    result = invoke("report", swept)
    assert result.exit_code == 0, result.output
    assert f"sweep report written to {swept / 'report.html'}" in result.output
    page = (swept / "report.html").read_text()
    for attr in re.findall(r"""(?:src|href)=['"]([^'"]*)['"]""", page):
        assert attr.startswith("data:"), attr
    assert "<script" not in page
    assert "remote share (staff)" in page and "<code>staff.remote_share</code>" in page
    assert "2 point(s) of a grid design × 2 replication(s) × 2 platform(s)" in page
    # One row per point; the cell is the paired difference of the point's runs.
    runs = pd.read_csv(swept / "runs.csv")
    sweep = sweep_report.load_sweep_folder(swept)
    table = sweep_report.point_differences(sweep, "cycle_time_mean_h").set_index("point")
    for point in (0, 1):
        at = runs[(runs.point == point)].pivot(index="replication", columns="platform",
                                                values="cycle_time_mean_h")
        expected = mean_ci((at.osdo - at.esed).to_numpy())
        assert table.loc[point, "mean"] == pytest.approx(expected["mean"])
        assert table.loc[point, "half_width"] == pytest.approx(expected["half_width"])
    rows = re.search(r"<table class='differences'>.*?</table>", page, re.S).group(0)
    assert rows.count("<tr>") == 3  # header and two points
    assert page.count("<img ") == 3  # a plot per KPI (one parameter)


def test_sweep_report_leaves_out_the_sensitivity_plots_in_the_same_folder(swept, tmp_path):
    # sim sensitivity writes plots/sensitivity_<kpi>.png beside the sweep's KPI__parameter.png.
    folder = tmp_path / "swept"
    shutil.copytree(swept, folder)
    plots = folder / "plots"
    shutil.copy(next(plots.glob("*__*.png")), plots / "sensitivity_cycle_time_mean_h.png")
    captions = [c for c, _ in sweep_report.sweep_figures(sweep_report.load_sweep_folder(folder))]
    assert len(captions) == 3 and not any("ensitivity" in c for c in captions)


def test_sweep_report_renders_in_chromium(swept, browser):
    page = sweep_report.write_sweep_report(swept)
    browser.get(page.resolve().as_uri())
    assert browser.title == "docflow-sim sweep report: tiny"
    assert [e for e in browser.get_log("browser") if e["level"] == "SEVERE"] == []
    widths = browser.execute_script(
        "return Array.from(document.images).map(i => i.complete ? i.naturalWidth : 0)")
    assert len(widths) == 3 and all(w > 0 for w in widths), widths
    cells = browser.execute_script(
        "return document.querySelectorAll('table.differences tbody tr').length")
    assert cells == 2
    filled = browser.execute_script(
        "return ['design', 'differences', 'plots'].map("
        "id => document.getElementById(id).innerText.trim().split('\\n').length)")
    assert all(n >= 3 for n in filled), filled
