# The two commands (see README.md): `make book` and `make test`. Both set up .venv first.
PY := .venv/bin/python
ARGS ?=

.PHONY: book test serve env clean

env:
	tools/setup_env.sh

book: env
	$(PY) -m repcap.book.build --profile default $(ARGS)

test:
	tools/setup_env.sh browser
	@# One BLAS thread per xdist worker: two workers on two cores, no oversubscription.
	OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 $(PY) -m pytest -n 2 --dist loadfile $(ARGS)

serve:
	@test -f _build/html/index.html || { echo "no site yet: run 'make book' first"; exit 1; }
	$(PY) -m http.server --directory _build/html --bind 127.0.0.1 8000

clean:
	rm -rf _build
