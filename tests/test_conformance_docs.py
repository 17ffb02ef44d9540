"""docs/conformance.md publishes the matrix of every first-party backend: it must match the
recorded results, and the recorded results the current records and expectations. Cheap: no
case is run here (regenerate with ``python -m ag_bridge.conformance.docs``)."""

from __future__ import annotations

from ag_bridge.conformance import docs, results

FIX = "regenerate with: python -m ag_bridge.conformance.docs"


def test_page_shows_the_recorded_results():
    data = results.load(docs.RESULTS)
    page = docs.PAGE.read_text()
    assert docs.render_page(data, page) == page, f"the matrix in docs/conformance.md is stale; {FIX}"


def test_recorded_results_cover_the_current_records_and_expectations():
    data = results.load(docs.RESULTS)
    assert set(data["backends"]) == set(docs.FIRST_PARTY)
    assert not docs.stale(data), f"{docs.stale(data)}; {FIX}"


def test_staleness_is_noticed():
    data = results.load(docs.RESULTS)
    data["cells"] = [c for c in data["cells"] if c["case"] != "sin[3x4]"]
    data["backends"]["numpy"] = dict(data["backends"]["numpy"], expectations="0" * 12)
    found = " ".join(docs.stale(data))
    assert "sin[3x4]" in found and "expectations/numpy.toml changed" in found
