"""Write the built-in ``semconv`` baseline (package data) from the official models.

Run: ``python scripts/generate_semconv_baseline.py [CORPUS]``; CORPUS defaults to
``../shared/corpora/semconv``. tests/registry/test_corpora.py fails when the file is stale.
"""

from __future__ import annotations

import sys
from pathlib import Path

from telemetry_contracts.resolution.baseline import DATA_FILE, baseline_bytes, build_baseline

DEFAULT_CORPUS = Path(__file__).resolve().parents[1].parent / "shared/corpora/semconv"


def main() -> None:
    corpus = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_CORPUS
    snapshot = build_baseline(corpus)
    DATA_FILE.parent.mkdir(parents=True, exist_ok=True)
    DATA_FILE.write_bytes(baseline_bytes(snapshot))
    legacy = sum(1 for name in snapshot.history if name.successor)
    print(f"{DATA_FILE}: semconv {snapshot.version}, {len(snapshot.attributes)} attributes, "
          f"{len(snapshot.metrics)} metrics, {len(snapshot.history)} legacy names "
          f"({legacy} with one successor)")


if __name__ == "__main__":
    main()
