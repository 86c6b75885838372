"""The compatibility modes a registry's changes are judged under, written once for the
classification, the command line and the configuration."""

from __future__ import annotations

from typing import Literal, get_args

CompatibilityMode = Literal[
    "BACKWARD", "BACKWARD_TRANSITIVE", "FORWARD", "FORWARD_TRANSITIVE",
    "FULL", "FULL_TRANSITIVE", "NONE",
]
COMPATIBILITY_MODES: tuple[CompatibilityMode, ...] = get_args(CompatibilityMode)
