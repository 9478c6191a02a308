"""Geometry: what is proven about line packings: bounds, the random null law, the feasibility band.
May import ``repcap.errors``, ``repcap.common`` and ``repcap.laws`` only (never sources, similarity, packing, studies, book, cli).

Modules, one job each:

``bounds``       proven upper bounds and existence counts for N(d, ε) (Welch, Levenshtein, orthoplex,
                 moments, greedy/GV, random signs), and the coherence floor of k vectors in R^d
``null``         the random null: the pairwise-cosine law of uniform unit vectors and its extremes
``feasibility``  the band of proven bounds around the paper's capacity laws (Eq. 6 / Eq. 7)

Nothing here needs torch; everything is closed form or a small root find in float64.
"""
