"""How a served front end sets up Python's cyclic garbage collector once it is built."""

from __future__ import annotations

import gc

# A full (generation 2) collection walks every object the bot keeps (caches, searches in
# flight) and stalls the loop 25-110 ms, longer than an ack or a first response may take
# (bench/RESULTS.md, Slack and Discord): run it after this many generation-1 collections
# instead of CPython's 10 (the young generations, 0.2-18 ms each, keep their thresholds).
FULL_COLLECTION_EVERY = 100


def settle_after_start_up() -> None:
    """Freeze what start-up built (it lives as long as the process, so the collector need
    not walk it again) and make full collections rare."""
    gc.freeze()
    young, middle, full = gc.get_threshold()
    gc.set_threshold(young, middle, max(FULL_COLLECTION_EVERY, full))
