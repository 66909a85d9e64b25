"""On-time rate by document type and body kind: the table behind the plot, and the plot."""

import math

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from sim.outputs import plots


def doc(platform, rep, type_, kind, completed, deadline, on_time):
    return {"platform": platform, "replication": rep, "type": type_, "body_kind": kind,
            "completed_min": completed, "deadline_min": deadline, "on_time": on_time}


DOCS = pd.DataFrame([
    # OSDO replication 0: letters 1 of 2 on time; replication 1: 2 of 2.
    doc("osdo", 0, "letter", "ministry", 100.0, 200.0, True),
    doc("osdo", 0, "letter", "ministry", 300.0, 200.0, False),
    doc("osdo", 1, "letter", "akimat", 100.0, 200.0, True),
    doc("osdo", 1, "letter", "akimat", 150.0, 200.0, True),
    # Open: one already overdue at the horizon (late), one not yet due (left out).
    doc("osdo", 1, "order", "akimat", math.nan, 500.0, None),
    doc("osdo", 1, "order", "akimat", math.nan, 5000.0, None),
    doc("esed", 0, "letter", "ministry", 100.0, 200.0, True),
])
HORIZON = 1000.0


def test_on_time_table_averages_replications_and_counts_overdue_open_documents():
    table = plots.on_time_table(DOCS, "type", HORIZON).set_index(["platform", "type"])
    letters = table.loc[("osdo", "letter")]
    assert letters.on_time_rate == pytest.approx(0.75)  # mean of 0.5 and 1.0
    assert letters.replications == 2
    assert letters.documents == 4
    # Two replications 0.5 and 1.0: t(0.975, 1) * sd / sqrt(2) = 12.706 * 0.35355 / 1.41421.
    assert letters.half_width == pytest.approx(12.7062 * 0.353553 / 2**0.5, rel=1e-4)
    orders = table.loc[("osdo", "order")]
    assert orders.on_time_rate == 0.0 and orders.documents == 1
    assert table.loc[("esed", "letter")].on_time_rate == 1.0
    # Without a horizon only completed documents count: no 'order' row at all.
    assert ("osdo", "order") not in plots.on_time_table(DOCS, "type").set_index(
        ["platform", "type"]).index


def test_on_time_by_body_kind_groups_by_kind():
    table = plots.on_time_table(DOCS, "body_kind", HORIZON).set_index(["platform", "body_kind"])
    assert table.loc[("osdo", "ministry")].on_time_rate == 0.5
    assert table.loc[("osdo", "akimat")].on_time_rate == pytest.approx(2 / 3)


def test_late_plot_shows_the_late_share_on_an_axis_scaled_to_the_data():
    ax = plots.late_share(DOCS, by="type", horizon_min=HORIZON, title="my scenario")
    try:
        assert ax.get_title() == "Late documents by document type - my scenario"
        assert "% of the documents due" in ax.get_ylabel()
        assert [t.get_text() for t in ax.get_xticklabels()] == ["letter", "order"]
        heights = [p.get_height() for p in ax.patches]
        assert len(heights) == 4  # two platforms x two types
        # Late = 100% - on time; ESED had no orders: its slot stays empty (NaN), not a bar.
        assert sorted(round(h, 3) for h in heights if not math.isnan(h)) == [0.0, 25.0, 100.0]
        assert ax.get_ylim() == (0.0, 100.0)  # capped at 100%
    finally:
        plt.close(ax.figure)
    # One letter in ten late in each replication: the axis shrinks to the data.
    few = pd.DataFrame([doc("osdo", r, "letter", "ministry", 100.0, 200.0, i > 0)
                        for r in (0, 1) for i in range(10)])
    ax = plots.late_share(few, by="type")
    try:
        assert ax.patches[0].get_height() == pytest.approx(10.0)
        assert 10.0 < ax.get_ylim()[1] < 15.0
    finally:
        plt.close(ax.figure)


def test_late_share_is_one_minus_the_on_time_rate():
    table = plots.on_time_table(DOCS, "type", HORIZON)
    assert (table.late_share == 1.0 - table.on_time_rate).all()


def test_unknown_grouping_is_refused():
    with pytest.raises(ValueError, match="by must be one of"):
        plots.on_time_table(DOCS, "colour")
