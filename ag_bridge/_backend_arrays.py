"""Raw arrays in and out of a backend: devices, creation, NumPy copies and text.

:class:`RawArrays` holds the defaults :class:`ag_bridge.Backend` gives for these,
using only the standard (``asarray``, ``__array_namespace_info__``, DLPack,
``__array__``); a plugin overrides one where its library differs (Dask's device
is always ``'cpu'``, its NumPy copy computes). It is a part of ``Backend``, not a
backend of its own: its methods use the backend's ``xp``, ``name`` and
``device_default``.
"""

from __future__ import annotations

from typing import Any

from ._state import selection

__all__ = ["RawArrays"]


class RawArrays:
    """Devices, creation, NumPy copies and text of a backend's raw arrays (mixed into
    :class:`ag_bridge.Backend`)."""

    xp: Any
    name: str
    device_default: Any

    def device(self, raw: Any) -> Any:
        """The device of a raw array."""
        from array_api_compat import device

        return device(raw)

    def asarray(self, obj: Any, dtype: Any = None, device: Any = None) -> Any:
        """A raw array from Python data or another array."""
        kw = {}
        if dtype is not None:
            kw["dtype"] = dtype
        dev = device if device is not None else self.device_default
        if dev is not None:
            kw["device"] = dev
        return self.xp.asarray(obj, **kw)

    def creation_device(self, device: Any = None) -> Any:
        """The device a creation call on this backend uses: ``device`` if given, else the
        selected one (``use_backend(name, device)``, ``set_backend``, ``AG_BRIDGE_DEVICE``)
        while this backend is the current one, else :attr:`device_default` (None: the
        library's default). Names are resolved by :meth:`resolve_device`.

        Every creation function of the recording namespace (and so of ``ag_bridge.np``)
        and :func:`ag_bridge.asarray` ask here when no ``device=`` is passed.
        """
        if device is None:
            cur = selection()
            device = cur[1] if cur[1] is not None and cur[0] is self else self.device_default
        return self.resolve_device(device) if isinstance(device, str) else device

    def resolve_device(self, device: Any) -> Any:
        """A device as the namespace's creation functions take it: a name the library
        refuses there (JAX: ``'cpu'``; array-api-strict) becomes the device that
        :meth:`asarray` puts data on for that name (one probe per name, remembered)."""
        if not isinstance(device, str):
            return device
        names = self.__dict__.setdefault("_device_names", {})
        if device not in names:
            try:
                self.xp.empty((0,), device=device)
                names[device] = device  # the library takes the name itself (torch: 'cuda')
            except Exception:
                names[device] = self.device(self.asarray([0], device=device))
        return names[device]

    def index_array(self, seq: list, device: Any = None) -> Any:
        """A raw integer array from a Python list used as an index of an array on
        ``device`` (an empty list gives the namespace's default indexing dtype)."""
        if seq:
            return self.xp.asarray(seq, device=device)
        dtype = self.xp.__array_namespace_info__().default_dtypes(device=device)["indexing"]
        return self.xp.zeros(0, dtype=dtype, device=device)

    def to_numpy(self, raw: Any) -> Any:
        """A NumPy copy of a raw array: through DLPack, ``__array__``, DLPack of a copy
        (DLPack refuses a read-only buffer such as a broadcast view, and marray 0.0.12's
        arrays have no ``__array__``), or a ``todense()`` the library offers (pydata
        sparse refuses implicit densifying). Never a NumPy object array: NumPy wraps an
        object it cannot read as a 0-d object array, silently."""
        import numpy

        try:
            return numpy.array(numpy.from_dlpack(raw), copy=True)
        except Exception:
            pass
        err = None
        try:
            out = numpy.array(raw, copy=True)
            if out.dtype != object:
                return out
        except Exception as exc:  # the library's own error (a lazy one computing): kept
            err = exc
        try:
            return numpy.array(numpy.from_dlpack(self.xp.asarray(raw, copy=True)), copy=True)
        except Exception:
            pass
        if hasattr(raw, "todense"):
            return numpy.array(raw.todense(), copy=True)
        if err is not None:
            raise err
        raise TypeError(f"backend '{self.name}': cannot copy a {type(raw).__name__} to NumPy "
                        "(it has no working __dlpack__, __array__ or todense())")

    def repr(self, raw: Any) -> str:
        """MXNet-style text of a raw array (docs/semantics.md, "How arrays print").

        NumPy's text of the values. On the NumPy backend that is NumPy's text with
        MXNet's rule for the dtype: float32 (MXNet's default, what ``ag_bridge.np``
        makes) omits it, and float64/complex128, which NumPy's text omits, show it:
        ``array([0.33333333, 2.], dtype=float64)``. Every other backend appends
        which library and dtype it holds:
        ``array([1., 2.], backend='torch', dtype=float32)``.
        """
        import numpy

        values = self.to_numpy(raw)
        if self.name == "numpy":
            text = repr(values).replace(", dtype=float32)", ")")
            if values.dtype in (numpy.float64, numpy.complex128) and values.size:
                text = f"{text[:-1]}, dtype={values.dtype.name})"
            return text
        dtype = getattr(raw.dtype, "name", None) or str(raw.dtype).rsplit(".", 1)[-1]
        tail = f", backend='{self.name}', dtype={dtype})"
        return "array(" + numpy.array2string(values, separator=", ", prefix="array(") + tail

    def synchronize(self) -> None:
        """Wait for queued work (for timing); nothing for eager CPU libraries."""
