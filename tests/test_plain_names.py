"""Plain names: one rule, one length limit, for run names and search labels alike."""

import pytest

from archgen.errors import ConfigError
from archgen.plain_names import MAX_NAME_LENGTH, check_plain_name, check_run_name, is_plain_name


@pytest.mark.parametrize("name", ["nb201-arch-vq", "run_1", "A.b+c=d@e", "7", "x" * MAX_NAME_LENGTH])
def test_plain_names_are_accepted(name):
    assert is_plain_name(name) and check_run_name(name) == name and check_plain_name(name, "search label") == name


@pytest.mark.parametrize("name", ["../../x", "/tmp/abs", "..", ".", "", ".hidden", "a/b", "x" * (MAX_NAME_LENGTH + 1), "a\x00b", 3])
def test_anything_else_is_a_one_line_error_naming_what_it_names(name):
    assert not is_plain_name(name)
    with pytest.raises(ConfigError, match="bad search label .*at most 200 characters") as caught:
        check_plain_name(name, "search label")
    assert "\n" not in str(caught.value)
    with pytest.raises(ConfigError, match="bad run name .*use --run-dir for an explicit path"):
        check_run_name(name)
