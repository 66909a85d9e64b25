"""A body's structure by kind, the resolution cascade, approvers by function, who signs."""

from __future__ import annotations

import pytest
from conftest import small_scenario

from sim.config.errors import InputError
from sim.model.assignment import Organisation, organise
from sim.model.population import sample_population
from sim.model.replication import run_replication
from sim.model.streams import Streams


def organisation(kind: str, staff: int, **staff_overrides) -> Organisation:
    scenario = small_scenario(bodies=[{"name": "X", "kind": kind, "staff": staff}],
                              staff=staff_overrides)
    return organise(scenario, sample_population(scenario, Streams(1, 0)))[0]


def ids(people) -> list[int]:
    return [e.id for e in people]


def test_a_ministry_of_300_has_a_minister_five_deputies_and_ten_departments():
    # Roles 10/20/70%: clerks 0-29, heads 30-89, executors 90-299. Leadership: the minister
    # (30) and 5 vice-ministers (31-35). The other 54 heads make 54 // (1 + 4) = 10
    # departments: directors 36-45, division heads 46-89; division j (head 46 + j) is in
    # department j mod 10, so departments 0-3 have 5 divisions and 4-9 have 4. Executors go
    # round the 44 divisions: 210 = 4 x 44 + 34, so divisions 0-33 have 5, 34-43 have 4.
    org = organisation("central_ministry", 300)
    assert ids(org.leadership) == [30, 31, 32, 33, 34, 35]
    assert ids(org.directors) == list(range(36, 46))
    assert len(org.departments) == 10 and len(org.divisions) == 44
    dep0, dep4 = org.departments[0], org.departments[4]
    assert dep0.divisions == [0, 10, 20, 30, 40] and dep4.divisions == [4, 14, 24, 34]
    assert ids(org.divisions[j].head for j in dep0.divisions) == [46, 56, 66, 76, 86]
    assert ids(org.divisions[0].executors) == [90, 134, 178, 222, 266]
    assert ids(org.divisions[34].executors) == [124, 168, 212, 256]
    assert [sum(len(org.divisions[j].executors) for j in d.divisions)
            for d in org.departments] == [24] * 4 + [19] * 6
    # Department k is curated by vice-minister 31 + k mod 5; the last one is the legal service.
    assert ids(d.curator for d in org.departments) == [31, 32, 33, 34, 35] * 2
    assert org.legal == 9
    assert ids(org.legal_heads) == [45, 55, 65, 75, 85]


@pytest.mark.parametrize(("kind", "staff", "leaders", "heads", "five", "curators"), [
    # committee of 100: clerks 0-9, heads 10-29, executors 30-99. Leadership 1 + 3 deputies;
    # 16 divisions directly under it; 70 = 4 x 16 + 6 executors: divisions 0-5 have 5.
    ("committee", 100, [10, 11, 12, 13], list(range(14, 30)), 6, [11, 12, 13]),
    # territorial division of 40: heads 4-11. 1 + 2 deputies is more than a quarter of 8
    # heads: the head and one deputy; 6 divisions; 28 = 4 x 6 + 4.
    ("territorial_division", 40, [4, 5], list(range(6, 12)), 4, [5]),
    # local executive body of 60: heads 6-17; 1 + 2 deputies; 9 divisions; 42 = 4 x 9 + 6.
    ("local_executive", 60, [6, 7, 8], list(range(9, 18)), 6, [7, 8]),
    # akim's office of 80: heads 8-23; akim + 3 deputies; 12 divisions; 56 = 4 x 12 + 8.
    ("district_akimat", 80, [8, 9, 10, 11], list(range(12, 24)), 8, [9, 10, 11]),
])
def test_bodies_without_departments_have_divisions_under_the_leadership(
        kind, staff, leaders, heads, five, curators):
    org = organisation(kind, staff)
    assert ids(org.leadership) == leaders
    assert org.directors == []
    assert ids(div.head for div in org.divisions) == heads
    assert [len(div.executors) for div in org.divisions] == (
        [5] * five + [4] * (len(heads) - five))
    # One department per division, curated by the deputies in turn; the last is legal.
    assert [d.divisions for d in org.departments] == [[j] for j in range(len(heads))]
    assert ids(d.curator for d in org.departments) == [
        curators[j % len(curators)] for j in range(len(heads))]
    assert ids(org.legal_heads) == [heads[-1]]


def test_a_small_ministry_has_one_department_and_one_level_of_resolution_is_flat():
    # 60 staff: heads 6-17, leadership 6-8 (a quarter of 12), 9 // 5 = 1 department: director
    # 9, division heads 10-17; 42 executors = 5 x 8 + 2.
    org = organisation("central_ministry", 60)
    assert ids(org.leadership) == [6, 7, 8] and ids(org.directors) == [9]
    assert org.departments[0].divisions == list(range(8))
    assert [len(d.executors) for d in org.divisions] == [6, 6] + [5] * 6
    flat = organisation("central_ministry", 60, resolution_levels=1)
    assert flat.flat and flat.leadership == [] and ids(flat.flat_heads) == list(range(6, 18))


def test_a_body_with_too_few_heads_for_a_leadership_is_flat():
    org = organisation("committee", 12)  # 1 clerk, 3 heads, 8 executors: no quarter leads
    assert org.flat and ids(org.flat_heads) == [1, 2, 3]


def test_a_kind_overrides_its_own_structure_and_an_unknown_kind_is_an_error():
    scenario = small_scenario(staff={"structure": {"committee": {"deputies": 1}}})
    assert scenario.staff.structure["committee"].deputies == 1
    assert scenario.staff.structure["committee"].staff_per_deputy == 60  # default kept
    assert scenario.staff.structure["central_ministry"].deputies == 5
    with pytest.raises(InputError, match="staff.structure"):
        small_scenario(staff={"structure": {"ministry": {"deputies": 1}}})


# --------------------------------------------------------------------------- the route


def ministry_run(platform: str = "osdo", **staff):
    # A 120-person ministry: clerks 0-11, heads 12-35, executors 36-119. Leadership 12-17
    # (the minister and 5 vice-ministers), 18 // 5 = 3 departments: directors 18-20, division
    # heads 21-35 (division j in department j mod 3); the legal service is department 2.
    # Nobody is away and nobody's desk passes new work on: stand-ins and acting colleagues
    # would act for the people the structure names.
    staff = {"delegate_over_hours": {"clerk": None, "head": None, "executor": None}, **staff}
    scenario = small_scenario(horizon_days=12, warmup_days=0,
                              bodies=[{"name": "M", "kind": "central_ministry", "staff": 120}],
                              staff=staff, absence={"annual_leave_days": 0, "sick_days": 0,
                                                    "trip_days": 0})
    run = run_replication(scenario, platform, 0, keep_steps=True)
    org = organise(scenario, sample_population(scenario, Streams(scenario.seed, 0)))[0]
    return scenario, run, org


def departments_of(org: Organisation) -> tuple[dict[int, int], dict[int, int]]:
    """Department of each head below the leadership and of each executor, by id."""
    heads, executors = {}, {}
    for k, dep in enumerate(org.departments):
        for head in org.heads_of(k):
            heads[head.id] = k
        for j in dep.divisions:
            executors.update((e.id, k) for e in org.divisions[j].executors)
    return heads, executors


@pytest.mark.parametrize("platform", ["osdo", "esed"])
def test_referred_mail_is_resolved_and_executed_only_in_its_subjects_department(platform):
    _, run, org = ministry_run(platform)
    assert ids(org.directors) == [18, 19, 20]
    steps = run.steps
    heads, executors = departments_of(org)
    done = set(run.documents[run.documents.completed_min.notna()].id)
    by_doc = steps[steps.document.isin(done)].sort_values("start_min").groupby("document")
    checked = 0
    for _doc, s in by_doc:
        referrals = list(s[s.step == "referral"].employee)
        if not referrals:
            continue
        # The cascade ends with a director: the department the subject names.
        assert referrals[-1] in (18, 19, 20)
        k = heads[referrals[-1]]
        assert referrals[-2] == org.departments[k].curator.id  # the curating deputy before
        assert set(referrals[:-2]) <= {12}  # and, for some, the minister before them
        resolvers = set(s[s.step == "resolution"].employee)
        drafters = set(s[s.step == "execution"].employee)
        assert {heads[h] for h in resolvers} == {k}
        assert drafters and {executors[e] for e in drafters} == {k}
        checked += 1
    assert checked > 100


def test_the_subject_comes_from_the_documents_stream_both_architectures_agree():
    _, osdo, _ = ministry_run("osdo")
    _, esed, _ = ministry_run("esed")

    def directors(run):
        r = run.steps[(run.steps.step == "referral") & run.steps.employee.isin([18, 19, 20])]
        return dict(zip(r.document, r.employee, strict=True))

    a, b = directors(osdo), directors(esed)
    common = set(a) & set(b)
    assert len(common) > 100
    assert all(a[d] == b[d] for d in common)


@pytest.mark.parametrize(("per_day", "minister_refers"), [(1000.0, True), (0.0, False)])
def test_the_head_of_the_body_refers_their_number_of_incoming_documents(per_day,
                                                                        minister_refers):
    # More a day than the ministry gets: the minister refers all of it; none: the deputies do.
    scenario, run, _ = ministry_run(structure={**_structures(), "central_ministry": {
        "deputies": 5, "divisions_per_department": 4, "head_referrals_per_day": per_day}})
    steps = run.steps
    resolved = steps[steps.step == "resolution"].document
    referrals = steps[(steps.step == "referral") & steps.document.isin(resolved)]
    referrals = referrals.sort_values("start_min")
    first = referrals.groupby("document").employee.first()
    assert (first == 12).all() if minister_refers else not (first == 12).any()
    counts = referrals.groupby("document").size()
    assert set(counts) == ({3} if minister_refers else {2})


def test_the_heads_share_falls_with_the_bodys_mail_and_deputies_grow_with_its_staff():
    # 0.63 documents per employee a day, 67% of them incoming mail: 0.4221 a day per employee.
    # The head refers 10 a day: of a 300-person ministry's 126.63, a share of 0.0790; of a
    # 60-person local executive body's 25.33, 0.3949. A local executive body of 300 has
    # 300 / 60 = 5 deputies (its kind's 2 are for 60 staff): a leadership of 6.
    ministry = organisation("central_ministry", 300)
    assert ministry.head_referral_share == pytest.approx(10 / (300 * 0.63 * 0.67))
    assert ministry.head_referral_share == pytest.approx(0.0790, abs=1e-4)
    small = organisation("local_executive", 60)
    assert small.head_referral_share == pytest.approx(0.3949, abs=1e-4)
    assert len(organisation("local_executive", 300).leadership) == 6
    assert len(small.leadership) == 3


def _structures() -> dict:
    from sim.config.schema import _default_structures
    return {k: v.model_dump() for k, v in _default_structures().items()}


def test_letters_in_the_bodys_name_are_signed_by_the_leadership_others_by_directors():
    # A document that leaves the body (it has a dispatch step) is signed by the leadership;
    # one that stays (an internal order, an incoming letter filed without reply) by the
    # director of its department.
    scenario, run, org = ministry_run()
    steps, docs = run.steps, run.documents.set_index("id")
    sent = set(steps[steps.step == "dispatch"].document)
    done = set(docs[docs.completed_min.notna()].index)
    signatures = steps[(steps.step == "signature") & steps.document.isin(done)]
    outgoing = signatures[signatures.document.isin(sent)]
    staying = signatures[~signatures.document.isin(sent)]
    assert len(outgoing) > 50 and len(staying) > 20
    assert set(outgoing.employee) <= set(ids(org.leadership))
    assert set(staying.employee) <= set(ids(org.directors))
    filed = staying[[docs.loc[d, "type"] == "incoming_letter" for d in staying.document]]
    assert len(filed) > 5


def test_the_legal_service_approves_every_document_of_the_types_that_need_it():
    scenario, run, org = ministry_run()
    steps, docs = run.steps, run.documents.set_index("id")
    legal = set(ids(org.legal_heads))
    assert legal == {20, 23, 26, 29, 32, 35}
    needs = {t for t, spec in scenario.documents.types.items() if spec.legal_review}
    assert needs == {"internal_order"}
    done = docs[docs.completed_min.notna() & docs.type.isin(needs)].index
    approvals = steps[steps.step == "approval"].groupby("document").employee.apply(set)
    assert len(done) > 30
    assert all(approvals[d] & legal for d in done)
    # Other types reach the legal service only when it is their own department.
    heads, _ = departments_of(org)
    others = docs[docs.completed_min.notna() & ~docs.type.isin(needs)].index
    for d in others:
        if d in approvals.index and approvals[d] & legal:
            resolver = steps[(steps.document == d) & (steps.step == "resolution")].employee
            assert heads[resolver.iloc[0]] == org.legal


def test_co_executors_heads_approve_and_the_line_stops_below_the_signer():
    scenario, run, org = ministry_run()
    steps, docs = run.steps, run.documents.set_index("id")
    division_head = {e.id: org.divisions[j].head.id for j, div in enumerate(org.divisions)
                     for e in div.executors}
    seen = 0
    done = set(docs[docs.completed_min.notna()].index)
    for doc, s in steps[steps.document.isin(done)].groupby("document"):
        drafters = set(s[s.step == "execution"].employee)
        if len(drafters) < 2 or docs.loc[doc, "type"] != "incoming_letter":
            continue
        approvers = set(s[s.step == "approval"].employee)
        # The co-executing division's head approves as well as the line.
        assert {division_head[e] for e in drafters} <= approvers
        seen += 1
    assert seen > 5
    # An internal document signed by its director: the director does not approve it too.
    for doc, s in steps.groupby("document"):
        signer = s[s.step == "signature"].employee
        if len(signer) and docs.loc[doc, "type"] == "internal_order":
            assert signer.iloc[0] not in set(s[s.step == "approval"].employee)


@pytest.mark.parametrize("kind", ["central_ministry", "committee", "territorial_division",
                                  "local_executive", "district_akimat"])
def test_documents_are_conserved_in_every_kind_of_body(kind):
    scenario = small_scenario(horizon_days=8, warmup_days=0, staff={"remote_share": 0.6},
                              bodies=[{"name": "X", "kind": kind, "staff": 90},
                                      {"name": "Y", "kind": kind, "staff": 50,
                                       "platform": "esed"}])
    for platform in ("osdo", "esed", "mixed"):
        totals = run_replication(scenario, platform, 0).totals
        assert totals["documents_created"] == (totals["documents_completed"]
                                               + totals["open_at_horizon"])
        assert totals["documents_completed"] > 0
