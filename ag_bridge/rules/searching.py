"""VJPs of the searching functions (only ``where`` is differentiable).

``where(condition, x1, x2)`` routes ``g`` to ``x1`` where the condition holds
and to ``x2`` elsewhere; the condition gets no cotangent, and broadcasting
(also of Python-scalar operands) is undone by the engine.
"""

from __future__ import annotations

from .._registry import defvjp

defvjp("where", None, lambda xp, g, ans, c, x1, x2: xp.where(c, g, 0),
       lambda xp, g, ans, c, x1, x2: xp.where(c, 0, g))
