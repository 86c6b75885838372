"""Loading, resolving and versioning registries; the registry service lives here too."""
