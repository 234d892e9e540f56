"""The chapters' main thread stays short, and what is folded says what it concludes (STYLE.md 20).

A chapter's main thread is its markdown outside ``<details>`` blocks: under about 3,000 words. Every
folded block opens with a ``<summary>`` line; a hidden answer to a question says "Answer" (or
"Hint ...", a rung of a hint ladder), and every other fold states what it concludes in a sentence, so a
reader who skips it still knows the result ("Over ten seeds: 4 of 10 solve it — the table").
"""
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHAPTERS = sorted((ROOT / "chapters").glob("0*.ipynb"))
MAIN_THREAD_WORDS = 3000
DETAILS = re.compile(r"<details>(.*?)</details>", re.S | re.I)
SUMMARY = re.compile(r"^\s*<summary>(.*?)</summary>", re.S | re.I)


def markdown(nb):
    return "\n".join("".join(c["source"]) for c in json.loads(nb.read_text())["cells"] if c["cell_type"] == "markdown")


def main_thread_words(text):
    return len(re.findall(r"\w+", DETAILS.sub(" ", text)))


@pytest.mark.parametrize("nb", CHAPTERS, ids=lambda p: p.stem)
def test_main_thread_is_short(nb):
    n = main_thread_words(markdown(nb))
    assert n <= MAIN_THREAD_WORDS, f"{nb.name}: {n} words outside <details>; fold evidence under a summary"


@pytest.mark.parametrize("nb", CHAPTERS, ids=lambda p: p.stem)
def test_every_fold_states_what_it_concludes(nb):
    for block in DETAILS.findall(markdown(nb)):
        m = SUMMARY.match(block)
        assert m, f"{nb.name}: a <details> block without a <summary> first: {block[:80]!r}"
        summary = re.sub(r"<[^>]+>", "", m.group(1)).strip()
        if re.fullmatch(r"(Answer|Hint\b.*)", summary):
            continue
        assert len(re.findall(r"\w+", summary)) >= 6, \
            f"{nb.name}: the summary {summary!r} does not say what the fold concludes"


def test_the_counter_sees_folds():
    text = "one two three <details><summary>Answer</summary>four five</details> six"
    assert main_thread_words(text) == 4
    assert main_thread_words("word " * 3001) > MAIN_THREAD_WORDS
