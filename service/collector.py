"""The cyclic garbage collector, set for a process that parses large payloads.

A delivery of 100 line items parses into thousands of dicts, lists and strings, all freed by
reference counting when the delivery ends. Python's default young-generation threshold (700
net container allocations) still runs the cyclic collector several times per delivery, and
each run walks every container the in-flight deliveries hold: with 16 deliveries waiting on
their API call, that is about a quarter of the service's CPU per delivery
(`python bench/webhook.py --scenario apply`, see the README's bench table).

`tune()` runs once per process, when the app starts: one full collection, then `gc.freeze()`,
so the objects alive by then (modules, schemas, rules, settings) are never walked again, and
a young-generation threshold of `YOUNG_THRESHOLD`. Cycles are still collected, only less
often; memory stays flat (`python bench/replay.py` prints the peak RSS over 100,000 events).
`ROSSUM_HOOKS_GC_TUNING=false` leaves the collector as Python sets it.
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 50_000  # net container allocations between young collections (Python: 700)

_tuned = False


def tune() -> bool:
    """Freeze what is alive now and raise the young threshold; return False if already done."""
    global _tuned
    if _tuned:
        return False
    _tuned = True
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
    return True
