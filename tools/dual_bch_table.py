#!/usr/bin/env python3
"""Write repcap/data/dual_bch_coherence.json: the exact coherence of every dual-BCH code cheap to enumerate.

    python tools/dual_bch_table.py          # about a minute on one core

For each (m, e) with 1 ≤ e ≤ 2^(⌈m/2⌉−1) (distinct codewords), m ≤ 16 (vectors generated), at most
2^27 codewords and 2^37 codeword bits in all, every non-zero codeword of the code is weighed
(repcap.geometry.constructions.enumerate_dual_bch: bit-packed span tables, XOR, popcount) and the
largest |n − 2w| is recorded. repcap.geometry.constructions reads the table, so the coherence of these
codes is exact rather than the Carlitz–Uchiyama bound; tests/test_geometry_constructions.py
re-enumerates the small ones and checks the rest against the proven bound.
"""

from __future__ import annotations

import json
import math
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from repcap.common.files import atomic_write_text  # noqa: E402
from repcap.geometry.constructions import EXACT_TABLE, enumerate_dual_bch  # noqa: E402

MAX_CODEWORD_BITS = 27   # log2 of the number of codewords
MAX_TOTAL_BITS = 37      # log2 of codewords x length


def cells() -> list[tuple[int, int]]:
    """Every (m, e) the table covers, smallest first."""
    out = []
    for m in range(3, 17):
        for e in range(1, 2 ** (math.ceil(m / 2) - 1) + 1):
            if m * e <= MAX_CODEWORD_BITS and m * e + m <= MAX_TOTAL_BITS:
                out.append((m, e))
    return sorted(out, key=lambda c: (c[0] * c[1] + c[0], c))


def main() -> int:
    rows = []
    for m, e in cells():
        t0 = time.perf_counter()
        row = enumerate_dual_bch(m, e)
        print(f"m = {m:2d}, e = {e}: max |n - 2w| = {row['max_deviation']} of n = {row['n']} "
              f"({time.perf_counter() - t0:.1f} s)", flush=True)
        rows.append(row)
    rows.sort(key=lambda r: (r["m"], r["e"]))
    doc = {"about": "exact max |n - 2w| over the non-zero codewords of the dual-BCH code "
                    "c_a(x) = Tr(sum_{i<=e} a_i x^(2i-1)), n = 2^m - 1, found by weighing every "
                    "codeword; coherence = max_deviation / n. Written by tools/dual_bch_table.py.",
           "rows": rows}
    target = ROOT / "repcap" / "data" / EXACT_TABLE
    atomic_write_text(target, json.dumps(doc, indent=1) + "\n")
    print(f"wrote {len(rows)} codes to {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
