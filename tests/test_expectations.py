"""The declared-gap data format: parsing, matching and clear errors."""

from __future__ import annotations

import pytest
from ag_bridge.conformance.expectations import DIRECTORY, load


def _write(tmp_path, text):
    p = tmp_path / "lib.toml"
    p.write_text(text)
    return p


def test_match_by_op_glob_case_id_dtype_and_check(tmp_path):
    e = load("lib", _write(tmp_path, """
[[gap]]
op = "linalg.eig*"
dtype = "complex*"
check = "native2"
kind = "xfail"
reason = "no second derivative"

[[gap]]
op = "matmul[2x3,3]"
kind = "not-provided"
reason = "no vector operand"
"""))
    assert len(e) == 2
    assert e.find("linalg.eigvals", "linalg.eigvals[3x3]", "complex128", "native2").kind == "xfail"
    assert e.find("linalg.eigvals", "linalg.eigvals[3x3]", "float64", "native2") is None
    assert e.find("linalg.eigvals", "linalg.eigvals[3x3]", "complex128", "fd") is None
    assert e.find("linalg.eigvals", "linalg.eigvals[3x3]", "complex128") is not None  # anything declared
    assert e.not_provided("matmul", "matmul[2x3,3]", "float32").reason == "no vector operand"
    assert e.not_provided("matmul", "matmul[2x3,3x4]", "float32") is None


@pytest.mark.parametrize("text, words", [
    ('[[gap]]\nop = "sin"\nkind = "maybe"\nreason = "r"\n', "kind 'maybe'"),
    ('[[gap]]\nop = "sin"\nkind = "xfail"\n', "'reason' is required"),
    ('[[gap]]\nop = "sin"\nkind = "xfail"\nreason = "r"\nwhy = "x"\n', "unknown field(s) why"),
    ('[[gap]]\nop = "sin"\nkind = "xfail"\nreason = "r"\ncheck = "fdd"\n', "check 'fdd'"),
    ('[[gaps]]\nop = "sin"\n', "unknown top-level key(s) gaps"),
])
def test_bad_files_name_the_file_and_field(tmp_path, text, words):
    with pytest.raises(ValueError, match="lib.toml") as info:
        load("lib", _write(tmp_path, text))
    assert words in str(info.value)


def test_missing_file():
    assert len(load("no_such_backend")) == 0
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load("lib", "/nonexistent/lib.toml")


@pytest.mark.parametrize("path", sorted(DIRECTORY.glob("*.toml")), ids=lambda p: p.stem)
def test_first_party_files_parse(path):
    assert load(path.stem).backend == path.stem
