"""Scenario loading: defaults, inheritance, overrides and the messages of bad input."""

import pytest
import yaml

from sim.config import (
    Scenario,
    ScenarioError,
    dump_resolved,
    json_schema,
    load_scenario,
    scenario_from_dict,
)


def write(path, text):
    path.write_text(text)
    return path


def test_minimal_file_takes_the_paper_defaults(tmp_path):
    s = load_scenario(write(tmp_path / "a.yaml", "name: a\n"))
    assert s.staff.literacy == {"advanced": 0.61, "insecure": 0.39}
    assert s.staff.equipment == {"adequate": 0.45, "inadequate": 0.44, "insufficient": 0.11}
    assert s.staff.remote_eligible_share == 0.75
    assert s.staff.messenger_user_share == 0.41
    assert len(s.bodies) == 4


def test_extends_merges_mappings_and_replaces_lists(tmp_path):
    write(tmp_path / "parent.yaml", """
name: parent
staff: {remote_share: 0.3, hybrid_share: 0.2}
bodies: [{name: P, kind: committee, staff: 10}]
""")
    (tmp_path / "sub").mkdir()
    child = write(tmp_path / "sub" / "child.yaml", """
name: child
extends: ../parent.yaml
staff: {remote_share: 0.6}
""")
    s = load_scenario(child)
    assert s.name == "child"
    assert s.staff.remote_share == 0.6
    assert s.staff.hybrid_share == 0.2  # inherited key by key
    assert [b.name for b in s.bodies] == ["P"]


def test_overrides_are_typed_and_reach_list_items(tmp_path):
    f = write(tmp_path / "a.yaml", "name: a\n")
    s = load_scenario(f, ["staff.remote_share=0.8", "bodies.0.staff=500",
                          "platforms=[esed]", "platform.osdo.mtbf_h=null"])
    assert s.staff.remote_share == 0.8
    assert s.bodies[0].staff == 500
    assert s.platforms == ["esed"]
    assert s.platform.osdo.mtbf_h is None


def test_resolved_dump_loads_back_identically(tmp_path):
    s = load_scenario("scenarios/poor_internet.yaml")
    again = load_scenario(write(tmp_path / "r.yaml", dump_resolved(s)))
    assert again.model_dump(exclude={"extends"}) == s.model_dump(exclude={"extends"})


def test_json_schema_lists_sections():
    schema = json_schema()
    assert {"staff", "bodies", "platform", "documents"} <= set(schema["properties"])


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("name: a\nstaff: {remote_shar: 0.3}\n",
         "staff.remote_shar: unknown key; did you mean 'remote_share'?"),
        ("name: a\nstaff: {remote_share: 1.5}\n", "staff.remote_share: 1.5 is not allowed"),
        ("name: a\nstaff: {literacy: {advanced: 0.5, insecure: 0.2}}\n", "must sum to 1, got 0.7"),
        ("name: a\nplatforms: [cloud]\n", "'cloud' is not allowed: Input should be 'osdo'"),
        ("name: a\nhorizon_days: 3\nwarmup_days: 5\n", "warmup_days (5) must be less than"),
        ("name: a\nbodies: [{name: x, kind: ministry, staff: 5}]\n",
         "bodies.0.kind: 'ministry' is not allowed"),
        ("[1, 2]\n", "the top level is a list"),
        ("", "the file is empty"),
        ("name: a\nstaff: {remote_share: [0.3\n", "invalid YAML"),
        ("name: a\nbodies: [{name: x, kind: committee, count: 1000, staff: 10000}]\n",
         "at most 2,000,000 are allowed"),
    ],
)
def test_bad_input_names_file_field_and_allowed(tmp_path, text, fragment):
    f = write(tmp_path / "bad.yaml", text)
    with pytest.raises(ScenarioError) as err:
        load_scenario(f)
    assert str(f) in str(err.value)
    assert fragment in str(err.value)


def test_cyclic_and_missing_extends(tmp_path):
    write(tmp_path / "a.yaml", "name: a\nextends: b.yaml\n")
    write(tmp_path / "b.yaml", "name: b\nextends: a.yaml\n")
    with pytest.raises(ScenarioError, match="cyclic inheritance"):
        load_scenario(tmp_path / "a.yaml")
    write(tmp_path / "c.yaml", "name: c\nextends: nowhere.yaml\n")
    with pytest.raises(ScenarioError, match="parent file .*nowhere.yaml not found"):
        load_scenario(tmp_path / "c.yaml")


def test_bad_override_paths():
    with pytest.raises(ScenarioError, match="staff.remote_shar: unknown key; did you mean"):
        scenario_from_dict({"name": "a"}, "x", ["staff.remote_shar.deep=1"])
    with pytest.raises(ScenarioError, match="expected path.to.key=VALUE"):
        scenario_from_dict({"name": "a"}, "x", ["staff.remote_share"])
    with pytest.raises(ScenarioError, match="index must be 0..3"):
        scenario_from_dict({"name": "a"}, "x", ["bodies.9.staff=3"])


def test_yaml_tags_are_never_executed(tmp_path):
    f = write(tmp_path / "evil.yaml", "name: !!python/object/apply:os.system ['echo hi']\n")
    with pytest.raises(ScenarioError, match="invalid YAML"):
        load_scenario(f)


def _item_model(annotation):
    """The pydantic model of a field, or of its dict values / list items, if any."""
    if hasattr(annotation, "model_fields"):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        if hasattr(arg, "model_fields"):
            return arg
    return None


def test_every_schema_default_is_documented_with_a_description():
    """Each leaf field says its unit/source in its description or name (docs/model.md lists
    them with sources); an undocumented number would fail here."""
    undocumented = []

    def walk(model, prefix):
        for name, field in model.model_fields.items():
            inner = _item_model(field.annotation)
            if inner is not None:
                walk(inner, f"{prefix}{name}.")
            elif not field.description and name not in {"name", "description", "distribution",
                                                         "role"}:
                undocumented.append(prefix + name)

    walk(Scenario, "")
    assert not undocumented, undocumented


def test_shipped_scenarios_are_valid():
    from pathlib import Path
    files = sorted(Path("scenarios").glob("*.yaml"))
    assert len(files) >= 6
    for f in files:
        data = yaml.safe_load(f.read_text())
        assert isinstance(data, dict)
        load_scenario(f)


def test_deep_merge_shares_nothing_with_its_arguments():
    # A sweep point or an options arm edits its merged copy in place: the base every other
    # point starts from must not change, however deep the edit.
    from sim.config.loading import deep_merge

    base = {"staff": {"literacy": {"insecure": 0.39}}, "bodies": [{"staff": 300}], "seed": 1}
    top = {"staff": {"remote_share": 0.5}, "platforms": ["osdo"]}
    merged = deep_merge(base, top)
    assert merged == {"staff": {"literacy": {"insecure": 0.39}, "remote_share": 0.5},
                      "bodies": [{"staff": 300}], "seed": 1, "platforms": ["osdo"]}
    merged["staff"]["literacy"]["insecure"] = 0.0
    merged["bodies"][0]["staff"] = 1
    merged["platforms"].append("esed")
    assert base == {"staff": {"literacy": {"insecure": 0.39}}, "bodies": [{"staff": 300}],
                    "seed": 1}
    assert top == {"staff": {"remote_share": 0.5}, "platforms": ["osdo"]}
    copy = deep_merge(base, {})
    copy["staff"]["literacy"]["insecure"] = 0.5
    assert base["staff"]["literacy"]["insecure"] == 0.39
