"""Plain names: the folder names a user picks (run names, search labels), checked by one rule.

A plain name becomes a folder under a directory archgen owns, so it must never be a
path: no ``/``, no ``..``, not hidden, of a bounded length and a small character set.
"""

from __future__ import annotations

import re

from archgen.errors import ConfigError

#: The longest plain name (well under any file system's 255-byte limit on a folder name).
MAX_NAME_LENGTH = 200
_PLAIN = re.compile(rf"^[A-Za-z0-9][A-Za-z0-9._+=@-]{{0,{MAX_NAME_LENGTH - 1}}}$")


def is_plain_name(name: object) -> bool:
    """Whether ``name`` is a plain folder name (see :func:`check_plain_name`)."""
    return isinstance(name, str) and bool(_PLAIN.fullmatch(name)) and name not in (".", "..")


def check_plain_name(name: str, what: str, hint: str = "") -> str:
    """Accepts a plain folder name: letters, digits and ``. _ + = @ -``, not starting with a dot.

    Args:
        name: The name to check.
        what: What the name names, for the message (``"run name"``, ``"search label"``).
        hint: Appended to the message (e.g. where to pass a path instead).

    Returns:
        ``name`` unchanged.

    Raises:
        ConfigError: For an empty name, a path (``/``, ``..``), a hidden name, odd characters
            or more than :data:`MAX_NAME_LENGTH` characters.
    """
    if not is_plain_name(name):
        shown = name if len(str(name)) <= 80 else str(name)[:77] + "..."
        raise ConfigError(
            f"bad {what} {shown!r}: a {what} is a plain folder name of letters, digits and . _ + = @ - "
            f"(not starting with a dot, no '/', at most {MAX_NAME_LENGTH} characters){hint}"
        )
    return name


def check_run_name(name: str) -> str:
    """Accepts a run name: a plain folder name under ``runs_dir``, never a path.

    Raises:
        ConfigError: As :func:`check_plain_name`, pointing at ``--run-dir`` for an explicit path.
    """
    return check_plain_name(name, "run name", "; use --run-dir for an explicit path")
