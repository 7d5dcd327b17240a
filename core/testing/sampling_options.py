"""The check every sampling kit shares: an unknown sampling option is refused with a ConfigError naming it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from archgen.errors import ConfigError

#: A key no plugin's SamplingOptions declares.
UNKNOWN_OPTION = "no_such_sampling_option"


def check_unknown_option_refused(name: str, draw: Callable[..., Any], sampling: dict[str, Any]) -> None:
    """Asserts ``draw(**sampling, no_such_sampling_option=1)`` raises a ConfigError that names the key.

    Args:
        name: The plugin's name, for the message.
        draw: The plugin's bound ``sample`` with its positional arguments applied.
        sampling: Valid sampling options to pass besides the unknown one.

    Raises:
        AssertionError: If the option is accepted, or refused with another exception or message.
    """
    try:
        draw(**{**sampling, UNKNOWN_OPTION: 1})
    except ConfigError as error:
        assert UNKNOWN_OPTION in str(error), f"{name}.sample()'s ConfigError does not name the unknown option: {error}"
    except Exception as error:  # noqa: BLE001 - the wrong exception type is the finding
        raise AssertionError(
            f"{name}.sample() raised {type(error).__name__} for the unknown sampling option {UNKNOWN_OPTION!r}; "
            "expected archgen.ConfigError (validate with archgen.generation.validate_sampling)"
        ) from None
    else:
        raise AssertionError(
            f"{name}.sample() accepted the unknown sampling option {UNKNOWN_OPTION!r}; "
            "validate **sampling against SamplingOptions (archgen.generation.validate_sampling)"
        )
