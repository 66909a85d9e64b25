"""What differs between the cloud and per-agency systems: network paths, outages that interrupt
work, what may leave the system through a messenger, secret documents, and the calendar."""

from __future__ import annotations

import datetime as dt

import holidays
import pytest
from conftest import small_scenario
from test_model import hm, tiny_deterministic

from sim.config.schema import CalendarSpec
from sim.model.calendar import WorkCalendar, run_horizon_min
from sim.model.network import OutageTimeline
from sim.model.platforms import Osdo
from sim.model.replication import run_replication

ROUTED = ("citizen_appeal", "incoming_letter", "internal_order", "instruction_from_above",
          "outgoing_initiative")
OFFICE_CLASSES = ("office_lan", "capital_office_link", "regional_office_link",
                  "district_office_link")
HOME_CLASSES = ("urban_fibre", "urban_mobile", "rural", "poor_rural")


def flaky_everything(**extra):
    """Everyone at home and a messenger user, connections and systems failing often."""
    return small_scenario(
        horizon_days=12, warmup_days=0,
        staff={"remote_share": 0.75, "messenger_user_share": 1.0},
        internet={"classes": {c: {"mtbf_h": 3, "mttr_h": 2} for c in HOME_CLASSES}},
        platform={"osdo": {"mtbf_h": 10, "mttr_h": 2}, "esed": {"mtbf_h": 10, "mttr_h": 2}},
        documents={"types": {t: {"official_use_share": 0.3, "secret_share": 0.1}
                             for t in ROUTED}},
        **extra,
    )


@pytest.fixture(scope="module")
def flaky_runs():
    scenario = flaky_everything()
    return {p: run_replication(scenario, p, 0, keep_steps=True) for p in ("osdo", "esed")}


@pytest.mark.parametrize("platform", ["osdo", "esed"])
def test_only_drafting_ever_goes_through_a_messenger(flaky_runs, platform):
    steps = flaky_runs[platform].steps
    unofficial = steps[steps.unofficial]
    assert len(unofficial) > 10  # the rule is exercised, not vacuous
    assert set(unofficial.step) == {"execution"}
    for never in ("register", "resolution", "approval", "signature", "dispatch"):
        assert not steps[steps.step == never].unofficial.any(), never


@pytest.mark.parametrize("platform", ["osdo", "esed"])
def test_no_official_use_or_secret_document_goes_through_a_messenger(flaky_runs, platform):
    run = flaky_runs[platform]
    docs = run.documents
    assert docs.unofficial.any()
    assert set(docs[docs.unofficial].confidentiality) == {"open"}
    assert run.kpis["left_system_official_use"] == run.kpis["left_system_secret"] == 0
    assert run.kpis["left_system_open"] > 0


@pytest.mark.parametrize("platform", ["osdo", "esed"])
def test_secret_documents_stay_on_paper(flaky_runs, platform):
    run = flaky_runs[platform]
    secret = set(run.documents[run.documents.confidentiality == "secret"].id)
    assert secret
    steps = run.steps[run.steps.document.isin(secret)]
    assert (steps.system == "paper").all()
    assert not steps.at_home.any() and not steps.unofficial.any()
    docs = run.documents[run.documents.id.isin(secret)]
    for component in ("platform", "platform_outage", "connectivity", "vpn"):
        assert (docs[f"delay_{component}_min"] == 0).all(), component


def test_a_secret_document_is_sent_by_courier_not_through_the_gateway():
    secret_letters = {t: {"secret_share": 1.0, "official_use_share": 0.0, "paper_share": 0.0}
                      for t in ROUTED}
    # Executors at correspondence all day, so that enough letters are done and sent in ten days.
    scenario = small_scenario(horizon_days=10, warmup_days=0,
                              documents={"types": secret_letters},
                              staff={"correspondence_share": {"clerk": 1.0, "head": 1.0,
                                                              "executor": 1.0}},
                              platform={"gateway": {"secret_courier_h": 24.0}})
    for platform in ("osdo", "esed", "mixed"):
        run = run_replication(scenario, platform, 0)
        assert run.kpis["gateway_transmissions"] == 0, platform
        received = run.documents[run.documents.id.str.contains(">")]
        assert len(received) > 3
        # Their transit is the courier's day, whatever the systems of sender and receiver.
        assert received.delay_gateway_min.round(6).eq(24 * 60).all(), platform


def test_an_office_internet_outage_delays_cloud_work_and_not_agency_work():
    # Everyone in the office; only the bodies' internet links fail.
    never = {"mtbf_h": None, "attempt_failure_prob": 0.0}
    flaky_link = {"mtbf_h": 8, "mttr_h": 3, "attempt_failure_prob": 0.0}
    scenario = small_scenario(
        horizon_days=10, warmup_days=0, staff={"remote_share": 0.0},
        internet={"classes": {"office_lan": never, "capital_office_link": flaky_link,
                              "district_office_link": flaky_link},
                  "access_gateway": {"mtbf_h": None}, "government_wan": never},
        platform={"osdo": {"mtbf_h": None}, "esed": {"mtbf_h": None}},
    )
    osdo = run_replication(scenario, "osdo", 0).documents
    esed = run_replication(scenario, "esed", 0).documents
    assert osdo.delay_connectivity_min.sum() > 0
    assert (esed.delay_connectivity_min == 0).all()
    assert (esed.delay_platform_outage_min == 0).all()


def test_the_access_gateway_is_on_every_office_path_to_the_cloud():
    never = {"mtbf_h": None, "attempt_failure_prob": 0.0}
    scenario = small_scenario(
        horizon_days=10, warmup_days=0, staff={"remote_share": 0.0},
        internet={"classes": {c: never for c in OFFICE_CLASSES},
                  "access_gateway": {"mtbf_h": 10, "mttr_h": 4}, "government_wan": never},
        platform={"osdo": {"mtbf_h": None}, "esed": {"mtbf_h": None}},
    )
    assert run_replication(scenario, "osdo", 0).kpis["delay_share_connectivity"] > 0
    assert run_replication(scenario, "esed", 0).kpis["delay_share_connectivity"] == 0


def _cloud_down(monkeypatch, start: float, end: float) -> None:
    """Every OSDO run of this test has one cloud outage, exactly from start to end."""
    real = Osdo.build.__func__

    def build(cls, *args, **kwargs):
        platform = real(cls, *args, **kwargs)
        platform._outages = OutageTimeline.scheduled([(start, end)])
        return platform

    monkeypatch.setattr(Osdo, "build", classmethod(build))


@pytest.mark.parametrize(("loss", "end"), [(0.0, "11:40"), (1.0, "11:45")])
def test_a_step_interrupted_by_an_outage_ends_later_by_the_overlap(monkeypatch, loss, end):
    # Registration of the first document runs 11:00-11:10 (test_model's exact trace). The
    # cloud is down 11:05-11:35: the step stops at 11:05 with 5 minutes left and resumes at
    # 11:35; if the 5 unsaved minutes are lost, they are done again.
    _cloud_down(monkeypatch, hm(0, "11:05"), hm(0, "11:35"))
    scenario = tiny_deterministic(human={"outage_work_loss_prob": loss, "rework_prob": 0.0})
    run = run_replication(scenario, "osdo", 0, keep_steps=True)
    register = run.steps[(run.steps.document == "b0-0") & (run.steps.step == "register")].iloc[0]
    assert register.start_min == pytest.approx(hm(0, "11:00"))
    assert register.end_min == pytest.approx(hm(0, end))
    assert register.interruptions == 1
    doc = run.documents.set_index("id").loc["b0-0"]
    assert doc.delay_platform_outage_min == pytest.approx(30 + 5 * loss)
    assert doc.delay_handling_min == pytest.approx(10 + 20 + 60 + 15 + 5)
    # The working time lost, over the three staff: the connectivity-loss KPI.
    lost_h = (30 + 5 * loss) / 60
    assert run.kpis["connectivity_loss_h_per_employee"] == pytest.approx(lost_h / 3)
    assert run.kpis["interrupted_step_share"] > 0


def test_an_outage_at_night_interrupts_nothing(monkeypatch):
    _cloud_down(monkeypatch, hm(0, "20:00"), hm(0, "23:00"))
    scenario = tiny_deterministic(human={"outage_work_loss_prob": 1.0})
    run = run_replication(scenario, "osdo", 0, keep_steps=True)
    assert run.steps.interruptions.sum() == 0
    assert run.documents.delay_platform_outage_min.sum() == 0


def test_the_calendar_agrees_with_the_official_one_2023_to_2026():
    calendar = WorkCalendar(CalendarSpec(start_date="2023-01-02"))
    official = holidays.country_holidays("KZ", years=range(2023, 2027))
    day, date = 0, dt.date(2023, 1, 2)
    while date.year < 2027:
        assert calendar.is_working_day(day) == official.is_working_day(date), date
        day, date = day + 1, date + dt.timedelta(days=1)


def test_2023_holidays_and_transfers_that_a_hand_typed_list_missed():
    calendar = WorkCalendar(CalendarSpec(start_date="2023-01-02"))

    def working(iso: str) -> bool:
        return calendar.is_working_day((dt.date.fromisoformat(iso) - dt.date(2023, 1, 2)).days)

    for off in ("2023-01-02", "2023-01-03", "2023-06-28", "2023-07-07"):
        assert not working(off), off
    assert working("2023-07-01")  # a Saturday worked in place of 7 July
    assert working("2023-01-09")  # the default start is a working Monday


def test_a_scenario_adds_and_removes_working_dates():
    spec = CalendarSpec(start_date="2023-01-02", holidays=["2023-01-04"],
                        working_dates=["2023-01-03", "2023-01-07"])
    calendar = WorkCalendar(spec)
    assert [calendar.is_working_day(d) for d in range(7)] == [
        False, True, False, True, True, True, False]  # Mon 2 Jan is still the official holiday


def test_the_default_start_is_a_working_monday():
    start = dt.date.fromisoformat(CalendarSpec().start_date)
    assert start.weekday() == 0
    assert holidays.country_holidays("KZ", years=start.year).is_working_day(start)


def test_on_time_rate_counts_the_documents_that_fell_due():
    scenario = small_scenario(horizon_days=20, warmup_days=2)
    run = run_replication(scenario, "osdo", 0)
    docs, horizon = run.documents, run_horizon_min(scenario)
    due = docs[docs.deadline_min <= horizon]
    on_time = due.completed_min.notna() & (due.completed_min <= due.deadline_min)
    assert 0 < len(due) < len(docs)  # some documents are not yet due: they do not count
    assert run.kpis["on_time_rate"] == pytest.approx(on_time.mean())


def test_connectivity_loss_counts_working_hours_only(monkeypatch):
    # A cloud outage over a whole night and weekend costs no working time.
    _cloud_down(monkeypatch, hm(4, "19:00"), hm(7, "08:00"))
    scenario = tiny_deterministic(horizon_days=6)
    assert run_replication(scenario, "osdo", 0).kpis["connectivity_loss_h_per_employee"] == 0
