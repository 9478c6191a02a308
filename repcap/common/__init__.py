"""The ground floor: plumbing that every layer shares, written once.

May import ``repcap.errors`` only; every layer may import it. Nothing here knows about models,
packings or the paper. One job a module:

``files``     the one atomic file write (temporary file in the same folder, fsync, rename, cleanup on
              any failure, the umask's mode) and write-if-changed
``storage``   the one mapping of a disk's refusals (full, read-only, no permission) to ``StorageError``
``devices``   the one check of a torch device name (``cpu``, ``cuda``, ``cuda:N``, ``mps``)
``checks``    argument checks of the formulas (dimensions, counts, |cos| bounds) with their messages
``jsonsafe``  the one JSON sanitiser: NaN and ±inf become null, numpy values plain Python (RFC 8259)
``progress``  the one style of progress bar (stderr, shown only once the work takes a while)
``formatting`` numbers written for readers (the paper's scientific notation, 10^x beyond float range)

Importing any of them is cheap: torch and tqdm load only inside the functions that need them.
"""
