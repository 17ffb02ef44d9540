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
    stale = docs.stale(data)
    assert not stale, f"{stale}; {FIX}"


def test_staleness_is_noticed():
    data = results.load(docs.RESULTS)
    data["cells"] = [c for c in data["cells"] if c["case"] != "sin[3x4]"]
    data["backends"]["numpy"] = dict(data["backends"]["numpy"], expectations="0" * 12)
    found = " ".join(docs.stale(data))
    assert "sin[3x4]" in found and "expectations/numpy.toml changed" in found


def test_an_edited_gap_reruns_only_the_cases_it_covers(tmp_path):
    """Editing one gap of a backend's expectations reruns the cases that gap names, not the
    backend's whole column (JAX's takes over an hour of CPU)."""
    def write(name: str, reason: str, extra: str = "") -> dict:
        f = tmp_path / name
        f.write_text(f'[[gap]]\nop = "linalg.eig*"\nkind = "xfail"\nreason = "{reason}"\n{extra}')
        return docs.gap_digests("numpy", f)

    ids = docs.expected_cases("numpy", False)
    old = write("old.toml", "one reason")
    assert docs.changed_cases(old, write("same.toml", "one reason"), ids) == set()
    edited = docs.changed_cases(old, write("new.toml", "another reason"), ids)
    assert edited and all(i.startswith("linalg.eig") for i in edited)
    assert {i for i in ids if i.startswith(("linalg.eig[", "linalg.eigh[", "linalg.eigvals"))} <= edited
    added = write("add.toml", "one reason", '[[gap]]\nop = "sin[3x4]"\nkind = "xfail"\nreason = "r"\n')
    assert docs.changed_cases(old, added, ids) == {"sin[3x4]"}
