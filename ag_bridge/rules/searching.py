"""VJPs of the searching functions (only ``where`` is differentiable)."""

from __future__ import annotations

from .._registry import defvjp

defvjp("where", None, lambda xp, g, ans, c, x1, x2: xp.where(c, g, 0),
       lambda xp, g, ans, c, x1, x2: xp.where(c, 0, g))
