"""Words of plots and tables: delay components and swept parameters, named the same everywhere."""

from sim.model.documents import DELAY_COMPONENTS
from sim.outputs.words import COMPONENT_WORDS, component_words, parameter_words


def test_every_delay_component_has_words_and_a_new_one_still_reads():
    assert set(DELAY_COMPONENTS) <= set(COMPONENT_WORDS)
    assert component_words("off_hours") == "outside working hours"
    assert component_words("some_new_thing") == "some new thing"


def test_parameter_paths_read_as_words():
    assert parameter_words("staff.remote_share") == "remote share (staff)"
    assert parameter_words("bodies.0.staff") == "staff (bodies #1)"
    assert parameter_words("horizon_days") == "horizon days"
