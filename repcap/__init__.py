"""repcap: how many near-orthogonal directions a transformer's latent space can hold.

The helper package of the repcap book. Modules, one job each (data flows top to bottom):

``sources``      a model name, hub id, local directory, GGUF file or array -> :class:`Embedding`
``catalog``      the models the book knows (the paper's Table 1, the offline models)
``superposition`` the toy model of superposition and feature-geometry measures
``similarity``   exact ε = µ + 2σ from a d×d Gram, bootstrap CIs, the all-pairs and sampled passes
``relations``    token lookup across tokenizers, nearest neighbours, primary tokens, analogies
``survey``       ε and class for a list of models, the shift/spread decomposition, the CSV table
``packing``      random and optimised packings of k unit vectors in R^d
``sweeps``       resumable (k, d) grids of packing cells
``laws``         the JL / Eq. 6 / Eq. 7 laws, the paper's fitting procedure, capacity
``bounds``       proven bounds on line packings (Welch, Levenshtein, moments, greedy/GV, ...)
``null``         the random null law: pairwise-cosine density and tail, extremes of max |cos|
``plots``        every figure helper, one visual style
``profiles``     the smoke / default / paper parameter sets of the notebooks

Importing ``repcap`` is cheap: torch and transformers load only when a module needs them.
"""

__version__ = "0.1.0"
