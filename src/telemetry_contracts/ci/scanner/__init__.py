"""The code scanner's parts: text pre-filter, call-site extraction, semconv names, checks, fixes."""
