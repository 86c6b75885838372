"""The registry service: the store, the review workflow, versions and the HTTP API."""
