"""Studies: the analysis behind one chapter that is none of the layers below (one module a subject).
May import sources, similarity, geometry, packing, laws, catalog, common and errors (never book or cli).

Chapter 1
``collisions``        random directions: their cosines, and how many fit before two collide, against
                      the Poisson–beta law and the proven bounds
``toy_model``         the toy model of superposition: data, loss, closed-form baseline, batched training
``feature_geometry``  the geometry of a weight matrix: norms, cosines, interference, dimensionalities
``toy_sweep``         a sweep of trained toy models summarised: its rows, curves and figure arrays
``superposition_findings``  the chapter's findings: random cosines, collision counts, the two sweeps
Chapter 2
``token_lookup``      a word → its token's row across tokenizer conventions; placeholder tokens
``neighbours``        the rows nearest a query by cosine (float32 scan, float64 re-rank)
``relations``         Figure 3: primary tokens (lexical) and word-pair cosines (semantic)
``analogies``         Figure 4: king − man + woman
``sampled_estimate``  ε from a random sample of tokens, with a bootstrap interval
``embedding_findings`` its findings: ε exactly and sampled (does the interval decide the class?), the
                      distribution beside a random matrix
``relation_findings`` its findings: primary tokens and neighbours, word pairs against ε, analogies
Chapter 3
``survey``            ε and class for a list of models, one row per model
``survey_cluster``    the survey with each model a task on a Dask cluster
``models_table``      the survey's rows as a CSV file (written atomically)
``eps_parts``         ε split into shift and spread, against the isotropic 2/√d
``reported_eps``      the paper's Table 1 ε as points, joined to measured rows
``width_trend``       how ε moves with d: log–log slope and Spearman correlations
``survey_examples``   which models to draw side by side, and their pair histograms
``classes_findings``  the chapter's findings: the survey, the two classes (its claim), ε's parts
``width_trend_findings`` does ε fall with d within Class 2 (the chapter's rule for its claim)
Chapter 4
``random_packing``        JL's guarantees at Llama 2 7B, the random sweep and its laws
``random_packing_findings`` its conclusions and the two claims of §3.2
Chapter 5
``optimised_packing``     the paper's laws fitted to optimised packings, the floor, the cost
``objective_comparison``  packing objectives compared at equal steps
Chapter 6
``capacity_table``        Table 1 recomputed, its sensitivity and the Eq. 2 budget
``capacity_findings``     the chapter's findings: our constants, Table 1, measured models, Eq. 2
``sensitivity_findings``  sensitivity, and the claim that ε is the dominant lever
``feasibility_findings``  the models inside the proven band, and on the axis ε√d
``unembedding``           input against output rows of an untied model (Appendix C)
Chapter 7
``frontier``              explicit line sets beside every packing recipe, the frontier
``frontier_findings``     its conclusions
Chapter 8
``activations``           per-layer ε of hidden states from real forward passes
``activation_findings``   does the embedding's ε describe the hidden states (the chapter's rule)
Chapter 9
``sae``                   hidden states of randomly drawn documents (cached) and a TopK sparse autoencoder
``feature_packing``       an SAE's live decoder directions measured like a packing, beside random,
                          optimised and explicit sets; the co-activation check
``feature_findings``      the premise (more features than dimensions at the embedding's ε), the rule
Every chapter
``findings``              the findings protocol: numbers, the rule that reads them, tables, text, record;
                          a chapter's record as the union of its sections' records
"""
