"""telemetry-contracts: one versioned registry of telemetry contracts, enforced everywhere."""

__version__ = "0.1.0"
