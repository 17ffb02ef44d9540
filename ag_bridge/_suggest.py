"""Messages for a backend name that cannot be loaded: what it probably meant and how
to install it (only with an extra that ``ag-bridge`` really has)."""

from __future__ import annotations

import difflib

__all__ = ["unknown_backend", "not_importable", "extra_for"]

#: first-party backends: (plugin package, pip extra that installs the library; None: core)
FIRST_PARTY = {"numpy": None, "torch": "torch", "jax": "jax",
               "array_api_strict": "array_api_strict", "dask": "dask"}
#: names people type for a first-party backend
ALIASES = {"pytorch": "torch", "np": "numpy", "jnp": "jax", "jax.numpy": "jax",
           "strict": "array_api_strict", "array-api-strict": "array_api_strict",
           "dask.array": "dask", "da": "dask"}


def _extras() -> set[str]:
    """The extras of the installed ag-bridge distribution, spelled with underscores
    (the first-party ones when running from a source tree)."""
    from importlib.metadata import PackageNotFoundError, metadata

    try:
        got = metadata("ag-bridge").get_all("Provides-Extra") or []
    except PackageNotFoundError:
        return {e for e in FIRST_PARTY.values() if e}
    return {e.replace("-", "_") for e in got}


def extra_for(name: str) -> str | None:
    """``pip install 'ag-bridge[...]'`` for backend ``name``, or None when no extra exists."""
    extra = FIRST_PARTY.get(name)
    if extra is not None and extra in _extras():
        return f"pip install 'ag-bridge[{extra}]'"
    return None


def unknown_backend(name: str, registered: list[str]) -> str:
    """The message for a backend name that is neither registered nor importable."""
    known = sorted(set(registered) | set(FIRST_PARTY))
    guess = ALIASES.get(str(name).lower()) or next(
        iter(difflib.get_close_matches(str(name).lower(), known, n=1, cutoff=0.6)), None)
    msg = f"unknown ag_bridge backend {name!r}"
    if guess is not None:
        install = extra_for(guess) if guess not in registered else None
        msg += f" (did you mean {guess!r}?{f' {install} installs it' if install else ''})"
    msg += f"; installed backends: {', '.join(sorted(registered)) or 'none'}"
    if guess is None:
        msg += ("; nor is it an importable array API namespace: for another library pass its "
                "namespace module or its name (e.g. 'cubed.array_api'), or register a plugin "
                "under the entry-point group 'ag_bridge.backends' (docs/backends.md)")
    return msg


def not_importable(name: str, exc: BaseException) -> str:
    """The message for a registered backend whose library fails to import."""
    hint = extra_for(name)
    return (f"backend {name!r} is installed but its library cannot be imported: {exc}"
            + (f"; {hint}" if hint else ""))
