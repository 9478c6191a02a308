"""Studies: the analysis behind one chapter that is none of the layers below (one module a study).
May import sources, similarity, geometry, packing, laws, catalog, common and errors (never book or cli).

``superposition``   the toy model of superposition and its feature-geometry measures (chapter 1)
``relations``       token lookup, nearest neighbours, primary tokens and analogies (chapter 2)
``survey``          ε and class for a list of models, ε's parts, the CSV table (chapter 3)
``survey_cluster``  the survey with each model a task on a Dask cluster
``capacity_table``  Table 1 recomputed, its sensitivity and the Eq. 2 budget (chapter 6)
``unembedding``     input against output rows of an untied model (chapter 6, Appendix C)
"""
