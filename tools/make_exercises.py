"""Generate exercises/NN_name.ipynb from solutions/NN_name.ipynb (never edit the exercises by hand).

The solution notebook is the one source (Neuromatch's habit). nbconvert runs three library
preprocessors over it, in order:

1. nbgrader's ClearSolutions replaces every region between ``### BEGIN SOLUTION`` and
   ``### END SOLUTION`` with ``# YOUR CODE HERE`` / ``raise NotImplementedError()`` in code cells and
   with an invisible ``<!-- YOUR ANSWER HERE -->`` in markdown cells, where the markers sit in HTML
   comments: a written answer (the cell keeps its visible "Your answer" prompt) and the
   solution-only note under each title (where the stub is then taken out: nothing is left).
   ``enforce_metadata=False``: we use nbgrader's stripper only, without its course database or cell
   metadata.
2. ClearOutputPreprocessor drops outputs and execution counts, which would show the solution's results.
3. ClearMetadataPreprocessor drops cell metadata except the tags (the "check" tag marks the check
   cells that tests/course/test_exercises.py expects to fail on the stubs) and notebook metadata except the
   kernelspec and language_info, so nothing about the solution's execution (timings) leaks or
   churns, and JupyterLab, which writes those two on opening, finds nothing to change (the
   solutions' metadata is normalized by tools/normalize_notebooks.py, so the exercises' is too).

The result is a pure function of the solution notebook (cell ids are kept, nothing is timestamped),
so tests/course/test_exercises.py regenerates into a temporary folder and compares.

    python tools/make_exercises.py                 # regenerate every exercise notebook
    python tools/make_exercises.py --check         # exit 1 and name the stale ones, write nothing
    python tools/make_exercises.py --out DIR FILE  # write FILE's exercise into DIR
"""
import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CODE_STUB = "# YOUR CODE HERE\nraise NotImplementedError()"
TEXT_STUB = "<!-- YOUR ANSWER HERE -->"   # invisible: the cell's own prompt stays


def exporter():
    """An nbconvert NotebookExporter configured with the three preprocessors above."""
    from nbconvert.exporters import NotebookExporter
    from nbconvert.preprocessors import ClearMetadataPreprocessor, ClearOutputPreprocessor
    from nbgrader.preprocessors import ClearSolutions
    from traitlets.config import Config

    c = Config()
    c.ClearSolutions.enforce_metadata = False
    c.ClearSolutions.code_stub = {"python": CODE_STUB}
    c.ClearSolutions.text_stub = TEXT_STUB
    c.ClearMetadataPreprocessor.preserve_cell_metadata_mask = {"tags"}
    c.ClearMetadataPreprocessor.preserve_nb_metadata_mask = {"kernelspec", "language_info"}
    c.NotebookExporter.preprocessors = [ClearSolutions, ClearOutputPreprocessor, ClearMetadataPreprocessor]
    return NotebookExporter(config=c)


ANSWER_PROMPT = "**Your answer**"


def generate(solution):
    """The exercise notebook (JSON text) generated from the solution notebook at path `solution`.

    The text stub stays only where the student writes (a cell with the answer prompt); where the
    solution-only note was, under the title, nothing is left."""
    import nbformat

    body, _ = exporter().from_filename(str(solution))
    nb = nbformat.reads(body, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "markdown" and TEXT_STUB in cell.source and ANSWER_PROMPT not in cell.source:
            cell.source = cell.source.replace("\n" + TEXT_STUB, "").replace(TEXT_STUB, "")
    body = nbformat.writes(nb)
    return body if body.endswith("\n") else body + "\n"


def solutions():
    return sorted((ROOT / "solutions").glob("[0-9][0-9]_*.ipynb"))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="*", type=Path, help="solution notebooks (default: solutions/NN_*.ipynb)")
    parser.add_argument("--out", type=Path, default=ROOT / "exercises", help="output folder (default: exercises/)")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if an exercise is stale")
    args = parser.parse_args(argv)
    stale = []
    for solution in args.files or solutions():
        target = args.out / solution.name
        text = generate(solution)
        if args.check:
            if not target.exists() or target.read_text(encoding="utf-8") != text:
                stale.append(target)
        else:
            args.out.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
            print(f"{solution.relative_to(ROOT) if solution.is_relative_to(ROOT) else solution} -> {target}")
    if stale:
        print("stale (run `python tools/make_exercises.py`):", *map(str, stale), sep="\n  ")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
