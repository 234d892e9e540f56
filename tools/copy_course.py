"""Copy the chapters, exercises and solutions into the reader's work folder (`make lab` opens it).

A file already in the work folder is the reader's own and is never overwritten; a file that is new
in the course (after a `git pull`) is copied in. So running and saving a notebook in JupyterLab
leaves the checkout as it was, and nothing a reader saved is lost. The folders' README files are
notes for the course's maintainers and stay behind; the reader's folder gets its own README, the
first file a student sees in JupyterLab's file browser (tools/reader/README.md).

    python tools/copy_course.py work
"""
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = ("chapters", "exercises", "solutions")
READER_README = ROOT / "tools" / "reader" / "README.md"


def course_files():
    """(source, path relative to the work folder) of every file a reader gets."""
    yield READER_README, Path("README.md")
    for folder in FOLDERS:
        for source in sorted((ROOT / folder).rglob("*")):
            rel = source.relative_to(ROOT)
            if source.is_file() and ".ipynb_checkpoints" not in rel.parts and rel.name != "README.md":
                yield source, rel


def copy_course(work):
    """Copy what work/ lacks; returns the copied files (paths relative to work)."""
    work, copied = Path(work), []
    for source, rel in course_files():
        target = work / rel
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
            copied.append(rel)
    return copied


def report(work, copied):
    """The line `make work` prints: what it copied, and what it kept only when it kept anything."""
    total = sum(1 for _ in course_files())
    if len(copied) == total:
        return f"your copy of the course is in {work}/: {total} files; start with {work}/README.md"
    kept = total - len(copied)
    return (f"your copy of the course is in {work}/: {len(copied)} new file(s) copied, {kept} kept as you "
            "left them (delete a copy to get the current version)")


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: python tools/copy_course.py WORK_FOLDER")
    work = Path(sys.argv[1])
    print(report(work, copy_course(work)))


if __name__ == "__main__":
    main()
