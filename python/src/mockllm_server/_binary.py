"""Where the mockllm program is: the one this wheel carries, or MOCKLLM_BIN."""

from __future__ import annotations

import os
import stat
from pathlib import Path

PACKAGED = Path(__file__).resolve().parent / "bin" / "mockllm"


def binary_path() -> Path:
    """`$MOCKLLM_BIN` when set (a build of your own, e.g. `.build/debug/mockllm`), else the binary
    inside this package. Raises FileNotFoundError naming the path when neither exists."""
    configured = os.environ.get("MOCKLLM_BIN")
    path = Path(configured).expanduser().resolve() if configured else PACKAGED
    if not path.is_file():
        where = f"MOCKLLM_BIN={configured}" if configured else f"the packaged binary {path}"
        raise FileNotFoundError(
            f"mockllm: {where} does not exist"
            + ("" if configured else " (this installation of mockllm-server has no binary: install the platform wheel)")
        )
    if not os.access(path, os.X_OK) and not configured:
        # An installer that dropped the executable bit (some unpack wheels without modes).
        path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path
