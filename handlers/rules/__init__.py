"""The shipped rules, on Rossum's standard invoice schema ids; `router` runs them all.

Hook settings read (all optional):

| key                | type              | default | used by   |
|--------------------|-------------------|---------|-----------|
| `expedite_amount`  | number            | 10000   | expedite  |
| `due_soon_days`    | integer           | 7       | due_soon  |
| `totals_tolerance` | number            | 0.01    | totals    |
| `disabled_rules`   | list of rule names| []      | the router|
"""

from __future__ import annotations

from handlers.routing import Router
from handlers.rules import due_soon, expedite, missing_po, normalise, totals

# Normalise first: with equal priority, its replace operations win over later ones.
router = Router(
    normalise.router, totals.router, expedite.router, missing_po.router, due_soon.router
)

__all__ = ["router"]
