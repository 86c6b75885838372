"""Validation rules and compatibility classification on top of the contract model."""
