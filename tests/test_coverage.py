"""Every differentiable entry of the spec table has a VJP rule and a conformance record."""

from __future__ import annotations

import pytest
from ag_bridge.conformance import RECORDS

import ag_bridge.rules  # noqa: F401  (fills the registry)
from ag_bridge._registry import RULES
from ag_bridge._spec import COMPOSITE, DIFFERENTIABLE, SPECS

INTERNAL = ("_index_add", "_index_set")


@pytest.mark.parametrize("name", DIFFERENTIABLE + INTERNAL)
def test_rule_exists(name):
    assert name in RULES, f"differentiable entry {name!r} has no VJP rule in ag_bridge/rules/"


@pytest.mark.parametrize("name", DIFFERENTIABLE + INTERNAL + COMPOSITE)
def test_record_exists(name):
    assert RECORDS.get(name), f"differentiable entry {name!r} has no conformance record in conformance/"


def test_rules_only_for_spec_entries():
    extra = set(RULES) - set(SPECS) - set(INTERNAL)
    assert not extra, f"rules registered for names outside the spec table: {sorted(extra)}"


def test_records_only_for_spec_entries():
    extra = set(RECORDS) - set(SPECS) - set(INTERNAL)
    assert not extra, f"records for names outside the spec table: {sorted(extra)}"


@pytest.mark.parametrize("name", COMPOSITE)
def test_composites_have_no_rule(name):
    # a composition differentiates through the recorded functions it calls
    assert name not in RULES, f"composite entry {name!r} has a rule; make it class D in the spec table"
