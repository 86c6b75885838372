"""Runtime enforcement of a resolved snapshot inside the OpenTelemetry SDK pipeline."""
