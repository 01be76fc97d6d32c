"""Test support for Shippy packages: a pytest plugin and small helpers."""
