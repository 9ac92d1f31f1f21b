"""The `mockllm` console command and `python -m mockllm_server`: the packaged program itself.

os.execv replaces this Python process with the binary, so arguments, standard streams, signals
(Ctrl-C, SIGTERM's clean drain) and the exit status are the program's own, with no Python in
between."""

from __future__ import annotations

import os
import sys

from ._binary import binary_path


def main() -> None:
    try:
        binary = binary_path()
    except FileNotFoundError as error:
        print(error, file=sys.stderr)
        sys.exit(127)
    os.execv(str(binary), [str(binary), *sys.argv[1:]])


if __name__ == "__main__":
    main()
