"""Make `import torch` fail, so the core tests can show that lstmkit's numpy core runs without torch.

Put this directory first on PYTHONPATH (make test-core-without-torch); Python imports sitecustomize
at start-up, before pytest collects a single test.
"""
import sys


class _NoTorch:
    def find_spec(self, name, path=None, target=None):
        if name == "torch" or name.startswith("torch."):
            raise ModuleNotFoundError(f"No module named {name!r} (hidden to test lstmkit without torch)", name=name)
        return None


sys.meta_path.insert(0, _NoTorch())
