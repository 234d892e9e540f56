"""Store the notebooks with the metadata JupyterLab writes, so opening one leaves the checkout clean.

JupyterLab marks a notebook modified as soon as it opens it when the stored metadata differs from
what Lab would write, and autosave then rewrites the file: the kernelspec's display name (Lab
writes the installed kernel's, "Python 3 (ipykernel)", where nbconvert kept "Python 3") and the
per-cell execution timing that nbclient records (Lab records none by default). This script sets
the kernelspec Lab writes and drops the timing; it changes no source and no output, and running it
twice changes nothing the second time.

    python tools/normalize_notebooks.py                # chapters/, solutions/ and exercises/
    python tools/normalize_notebooks.py --check        # exit 1 and name the files it would change
    python tools/normalize_notebooks.py FILE ...       # only these
"""
import argparse
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = ("chapters", "solutions", "exercises")
# what JupyterLab writes for the course's kernel (ipykernel's python3 kernelspec)
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
TIMING_KEYS = ("execution",)    # nbclient's record_timing: iopub.status.busy, shell.execute_reply...


def normalize(nb):
    """Normalize nb (a NotebookNode) in place; returns True when something changed."""
    changed = False
    if nb.metadata.get("kernelspec") != KERNELSPEC:
        nb.metadata["kernelspec"] = dict(KERNELSPEC)
        changed = True
    for cell in nb.cells:
        for key in TIMING_KEYS:
            if key in cell.get("metadata", {}):
                del cell.metadata[key]
                changed = True
    return changed


def normalized_text(path):
    """(the file's text, its normalized text)."""
    text = Path(path).read_text(encoding="utf-8")
    nb = nbformat.reads(text, as_version=4)
    normalize(nb)
    return text, nbformat.writes(nb) + "\n"


def notebooks():
    return sorted(p for folder in FOLDERS for p in (ROOT / folder).glob("[0-9][0-9]_*.ipynb"))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="*", type=Path, help="notebooks (default: chapters/, solutions/, exercises/)")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if a notebook would change")
    args = parser.parse_args(argv)
    stale = []
    for path in args.files or notebooks():
        old, new = normalized_text(path)
        if old != new:
            stale.append(path)
            if not args.check:
                path.write_text(new, encoding="utf-8")
    if args.check and stale:
        print("not normalized (run `python tools/normalize_notebooks.py`):", *map(str, stale), sep="\n  ")
        return 1
    for path in [] if args.check else stale:
        print(f"normalized {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
