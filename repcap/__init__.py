"""repcap: how many near-orthogonal directions a transformer's latent space can hold.

The helper package of the repcap book. Its folders are the pipeline (data flows top to bottom; a
lower layer never imports a higher one, and ``tests/test_layering.py`` checks it):

``errors``, ``catalog``  the exceptions every layer raises; the models the book knows (Table 1, offline)
``common``      the ground floor every layer may import: atomic file writes, storage errors, the device
                check, argument checks, the JSON sanitiser, progress bars (imports only ``errors``)
``sources``     a model name, hub id, local directory, GGUF file or array -> :class:`Embedding`
``similarity``  exact ε = µ + 2σ from a d×d Gram, bootstrap CIs, the all-pairs and sampled passes
``laws``        the JL / Eq. 6 / Eq. 7 laws, the paper's fitting procedure, capacity
``geometry``    what is proven about line packings: bounds, the random null law, the feasibility band
``packing``     random and optimised packings, resumable sweeps, grids, their cost, the paper's release
``studies``     the analysis behind the chapters, one subject a module (toy model, relations, survey, ...)
``book``        the book's machinery: build, notebook helpers, profiles, tables, plots
``cli``         the ``repcap`` command, a thin shell over the layers above

Importing ``repcap`` is cheap: torch and transformers load only when a module needs them.
"""

__version__ = "0.1.0"
