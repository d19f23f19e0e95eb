#!/usr/bin/env bash
# Registers this lab's TypeScript kernel (tslab) with Jupyter.
#   bash scripts/kernel.sh          inside the project (.jupyter/; use with JUPYTER_PATH, see README)
#   bash scripts/kernel.sh --user   for your user: how it appears in JupyterHub's launcher
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PY=${LAB_JUPYTER_PYTHON:-$(command -v jupyter >/dev/null && head -1 "$(command -v jupyter)" | sed 's/^#!//' || echo /usr/bin/python3)}
[ -x "$ROOT/node_modules/.bin/tslab" ] || { echo "run 'npm run setup' first (tslab is not installed)" >&2; exit 1; }
"$PY" -c 'import jupyter_client' 2>/dev/null || { echo "Jupyter is not installed for $PY (apt-get install jupyter-notebook, or pip install notebook)" >&2; exit 1; }
if [ "${1:-}" = "--user" ]; then
  "$ROOT/node_modules/.bin/tslab" install --python="$PY" --binary="$ROOT/node_modules/.bin/tslab" --user
  echo "registered the 'TypeScript' kernel for $(id -un); it runs $ROOT/node_modules/.bin/tslab"
else
  "$ROOT/node_modules/.bin/tslab" install --python="$PY" --binary="$ROOT/node_modules/.bin/tslab" --prefix="$ROOT/.jupyter"
  echo "registered in $ROOT/.jupyter: export JUPYTER_PATH=$ROOT/.jupyter/share/jupyter"
fi
