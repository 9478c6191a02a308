"""Studies: the analysis behind one chapter that is none of the layers below (one module a study).
May import sources, similarity, geometry, packing, laws, catalog and errors (never book or cli).

``superposition``   the toy model of superposition and its feature-geometry measures (chapter 1)
``relations``       token lookup, nearest neighbours, primary tokens and analogies (chapter 2)
``survey``          ε and class for a list of models, ε's parts, the CSV table (chapter 3)
``survey_cluster``  the survey with each model a task on a Dask cluster
``optimised_packing`` the paper's laws fitted to optimised packings, the floor, the cost (chapter 5)
``objective_comparison`` packing objectives compared at equal steps (chapter 5)
``capacity_table``  Table 1 recomputed, its sensitivity and the Eq. 2 budget (chapter 6)
``capacity_findings``     chapter 6's findings: our constants, Table 1, measured models, Eq. 2
``sensitivity_findings``  chapter 6's sensitivity and the claim that ε is the dominant lever
``feasibility_findings``  chapter 6's models inside the proven band, and on the axis ε√d
``unembedding``     input against output rows of an untied model (chapter 6, Appendix C)
"""
