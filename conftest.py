"""pytest set-up for the whole repository: tests/ and the notebooks (pytest --nbval chapters/ ...)."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "tests"))

from notebook_env import apply, pytest_collection_modifyitems  # noqa: E402, F401  (a pytest hook)

apply()
