"""Executes a notebook on its kernel, cell by cell, and writes what it produced.

    run_notebook.py NOTEBOOK OUT_DIR [--timeout S] [--html] [--trust]

Runs with the notebook's own folder as the working directory (so `../dist` and
`../data` resolve as in Jupyter), writes OUT_DIR/<name>.ipynb even when a cell
fails (the partially executed notebook), optionally signs it as trusted (so
Notebook 6 runs its chart scripts when opened) and exports OUT_DIR/<name>.html.
Prints one JSON line: {"ok", "notebook", "html", "seconds", "error"}; a failed
cell is reported with its number, source and the text it wrote to stderr (tslab
reports errors there, and nbconvert's own message for them is empty).
"""
import argparse
import json
import os
import sys
import time

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError


def cell_text(cell, name):
    return "".join(o.get("text", "") for o in cell.get("outputs", []) if o.get("output_type") == "stream" and o.get("name") == name)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("notebook")
    ap.add_argument("out_dir")
    ap.add_argument("--timeout", type=int, default=1800)
    ap.add_argument("--html", action="store_true")
    ap.add_argument("--trust", action="store_true")
    ap.add_argument("--kernel", default=None)
    args = ap.parse_args()

    src = os.path.abspath(args.notebook)
    name = os.path.splitext(os.path.basename(src))[0]
    os.makedirs(args.out_dir, exist_ok=True)
    out_nb = os.path.join(os.path.abspath(args.out_dir), name + ".ipynb")
    nb = nbformat.read(src, as_version=4)
    kernel = args.kernel or nb.metadata.get("kernelspec", {}).get("name", "tslab")
    client = NotebookClient(nb, timeout=args.timeout, kernel_name=kernel,
                            resources={"metadata": {"path": os.path.dirname(src)}})
    t0 = time.time()
    error = None
    try:
        client.execute()
    except (CellExecutionError, CellTimeoutError, DeadKernelError) as e:
        failed = None
        for i, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            if cell_text(cell, "stderr") or any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
                failed = (i, cell)
        i, cell = failed if failed else (None, None)
        error = {
            "kind": type(e).__name__,
            "cell": i,
            "source": cell.source if cell else None,
            "stderr": (cell_text(cell, "stderr") if cell else "") or str(e),
        }
    seconds = time.time() - t0
    nbformat.write(nb, out_nb)
    if args.trust:
        from nbformat.sign import NotebookNotary
        NotebookNotary().sign(nb)
    html = None
    if args.html:
        from nbconvert import HTMLExporter
        body, _ = HTMLExporter().from_notebook_node(nb)
        html = os.path.join(os.path.abspath(args.out_dir), name + ".html")
        with open(html, "w", encoding="utf-8") as f:
            f.write(body)
    print(json.dumps({"ok": error is None, "notebook": out_nb, "html": html, "seconds": round(seconds, 2), "error": error}))
    return 0 if error is None else 1


if __name__ == "__main__":
    sys.exit(main())
