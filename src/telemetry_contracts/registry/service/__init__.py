"""The registry's workflow without HTTP: proposals, reviews, publishing, lifecycle, usage, auth."""
