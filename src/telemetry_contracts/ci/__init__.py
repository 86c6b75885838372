"""Build-time enforcement: the command line, linters, code scanner and reporters."""

import sys

if sys.version_info < (3, 10):  # pragma: no cover - the CPython 3.9 run of CI checks it
    sys.exit(
        "telemetry-contracts: the command line needs Python 3.10 or newer; on Python "
        f"{sys.version_info[0]}.{sys.version_info[1]} the package serves the guard alone"
    )
