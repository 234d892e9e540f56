"""Copy the chapters, exercises and solutions into the reader's work folder (`make lab` opens it).

A file already in the work folder is the reader's own and is never overwritten; a file that is new
in the course (after a `git pull`) is copied in. So running and saving a notebook in JupyterLab
leaves the checkout as it was, and nothing a reader saved is lost.

    python tools/copy_course.py work
"""
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = ("chapters", "exercises", "solutions")


def copy_course(work):
    """Copy what work/ lacks; returns the copied files (paths relative to work)."""
    work, copied = Path(work), []
    for folder in FOLDERS:
        for source in sorted((ROOT / folder).rglob("*")):
            rel = source.relative_to(ROOT)
            if not source.is_file() or ".ipynb_checkpoints" in rel.parts:
                continue
            target = work / rel
            if not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target)
                copied.append(rel)
    return copied


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: python tools/copy_course.py WORK_FOLDER")
    work = Path(sys.argv[1])
    copied = copy_course(work)
    print(f"your copies of the course are in {work}/: {len(copied)} new file(s) copied, "
          "the others kept as you left them (delete a copy to get the current version)")


if __name__ == "__main__":
    main()
