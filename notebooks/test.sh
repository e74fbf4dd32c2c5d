#!/usr/bin/env bash
# Execute notebooks/grid.ipynb headless against a freshly written small grid.
# Needs python3 (3.10+) with venv and PyPI access; builds argosim with cargo. .ci/run calls
# it (about 1-2 minutes on a fresh machine, most of it pip). Exit code 77 means the Python
# environment could not be installed (no PyPI): the notebook was not tested.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${ARGOSIM_NOTEBOOK_VENV:-target/notebook-venv}"
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV" || { echo "notebook test skipped: cannot create a venv"; exit 77; }
fi
installed=0
for attempt in 1 2 3; do
  if "$VENV/bin/pip" install --quiet --disable-pip-version-check -r notebooks/requirements.txt; then
    installed=1
    break
  fi
  echo "pip install failed (attempt $attempt), retrying" >&2
  sleep 5
done
if [ "$installed" != 1 ]; then
  echo "notebook test skipped: could not install notebooks/requirements.txt from PyPI"
  exit 77
fi
cargo build --release --quiet --bin argosim
OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT
"${CARGO_TARGET_DIR:-target}/release/argosim" grid scenarios/throttled-fanout.toml --replications 4 --jobs 2 \
  --axis 'cluster.pools[0].nodes=20,30' --out "$OUT/grid" >/dev/null
ARGOSIM_RESULTS="$OUT/grid" "$VENV/bin/python" - <<'PY'
import nbformat
from nbclient import NotebookClient

nb = nbformat.read("notebooks/grid.ipynb", as_version=4)
NotebookClient(nb, timeout=600, kernel_name="python3",
               resources={"metadata": {"path": "notebooks"}}).execute()
errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
          if o.get("output_type") == "error"]
images = sum(1 for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
             if "image/png" in o.get("data", {}))
print(f"notebooks/grid.ipynb: {len(nb.cells)} cells executed, {images} figures")
print(f"{0 if errors else 1} passed, {1 if errors else 0} failed")
raise SystemExit(1 if errors else 0)
PY
