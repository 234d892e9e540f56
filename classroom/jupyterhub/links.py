"""The nbgitpuller link that puts the course into each student's home and opens chapter 01.

On the first visit nbgitpuller clones the class edition (branch class-v<version>, built by
`make class-edition`: no solutions, the exercises as nbgrader's release notebooks) into ~/lstmkit;
on later visits it merges that branch's new commits without overwriting what the student changed.
Send students

    python classroom/jupyterhub/links.py https://hub.example.edu

(a `/hub/user-redirect/` link: it logs them in, starts their server, pulls, and opens the chapter).
jupyterhub_config.py and z2jh-values.yaml use the same path as the servers' default URL.
"""
import re
import sys
from pathlib import Path
from urllib.parse import urlencode

REPO_URL = "https://github.com/lstmkit/lstmkit"
VERSION = re.search(r'^__version__ = "([^"]+)"',
                    (Path(__file__).resolve().parents[2] / "lstmkit" / "__init__.py").read_text(), re.M).group(1)
BRANCH = f"class-v{VERSION}"            # the class edition of this release (tools/make_classroom.py edition)
TARGET = "lstmkit"                       # the folder in the student's home
FIRST = "chapters/01_rnn_bptt.ipynb"


def nbgitpuller_path(repo=REPO_URL, branch=BRANCH, notebook=FIRST):
    """The server-relative nbgitpuller path: /git-pull?repo=...&branch=...&targetpath=...&urlpath=..."""
    return "/git-pull?" + urlencode({"repo": repo, "branch": branch, "targetpath": TARGET,
                                     "urlpath": f"lab/tree/{TARGET}/{notebook}"})


def nbgitpuller_link(hub_url, **kwargs):
    """The link to send to the class, for the hub at hub_url (e.g. https://hub.example.edu)."""
    return hub_url.rstrip("/") + "/hub/user-redirect" + nbgitpuller_path(**kwargs)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(f"usage: python {sys.argv[0]} HUB_URL   (e.g. https://hub.example.edu)")
    print(nbgitpuller_link(sys.argv[1]))
