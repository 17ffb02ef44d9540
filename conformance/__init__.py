"""Conformance records: one per op, driving every gradient test."""
