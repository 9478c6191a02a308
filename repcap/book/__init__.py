"""Book: the machinery of the book itself: the build, notebook helpers, profiles, tables and plots.
May import every layer of the package except ``repcap.cli``; no layer below imports it.

``build``      ``python -m repcap.book.build``: papermill execution with a content cache, then
               Jupyter Book 1 rendering (the ``make book`` command)
``notebook``   the helpers every chapter calls: setup, provenance line, results file, output paths
``profiles``   the smoke / default / paper parameters of every chapter (``profiles.yaml``), checked
``tables``     rows of results rendered as Markdown tables, the paper's number style, and as CSV
``explorer``   the capacity explorer page's numbers and the constants the build writes for it
``plots``      every figure helper, one visual style (plots never compute)
"""
