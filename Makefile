# The two commands (see README.md): `make book` and `make test`. Both set up .venv first.
PY := .venv/bin/python
ARGS ?=
PORT ?= 8000

.PHONY: book test check-site serve env clean

env:
	tools/setup_env.sh

book: env
	$(PY) -m repcap.book.build --profile default $(ARGS)

test:
	tools/setup_env.sh browser
	@# One BLAS thread per xdist worker: two workers on two cores, no oversubscription.
	OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 $(PY) -m pytest -n 2 --dist loadfile $(ARGS)

check-site:
	@# the built site as a reader sees it (headless Chromium at 1,400 px): tables and code that
	@# scroll sideways, overlapping figure text, unnumbered figures, broken links, raw TeX
	tools/setup_env.sh browser
	$(PY) -m repcap.book.site_check _build/html

serve:
	@# a busy port or a site not built yet is one line (tools/serve.py), not a traceback
	@$(PY) tools/serve.py --port $(PORT)

clean:
	rm -rf _build
