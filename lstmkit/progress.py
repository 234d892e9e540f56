"""Progress bars that read as finished once the run is over, live or stored.

In a notebook, ``tqdm.auto`` draws a widget. A saved notebook keeps the widget's view and, for every
place that cannot draw it (GitHub's viewer, nbconvert's HTML without widget state, a terminal
reading the .ipynb), a text/plain line. Plain ``tqdm.auto`` fills that line once, when the bar is
first shown, so a finished run is stored as "0%| 0/1500". ``progress_bar`` shows the same widget
under a display id and, when the bar closes, updates that display: the widget view stays and the
text line becomes the final one ("100%| 1500/1500"). Outside a notebook it is plain ``tqdm.auto``.

The display call is tqdm's own (``tqdm.notebook`` imports it from IPython): the experiments layer
takes its notebook support from tqdm and never imports IPython or ipywidgets itself.

A run that stops before its total for a good reason (it solved the task) says so with
``stop_early(bar, "solved", ok=True)`` and its notebook bar ends green, not red; one that stops
because it failed (``ok=False``: it diverged) keeps tqdm's red bar. Either way the reason is written
on the bar.

Used by lstmkit.train, lstmkit.torch_train, lstmkit.charlm and lstmkit.sweeps; taught in
chapters/05_long_time_lags.ipynb.
"""
from functools import cache

from tqdm.auto import tqdm as auto_tqdm


def _notebook_class():
    """tqdm.auto's bar class if it is the notebook widget (a Jupyter kernel with ipywidgets), else None."""
    try:
        from tqdm import notebook
    except ImportError:   # pragma: no cover - tqdm without its notebook module
        return None
    return auto_tqdm if issubclass(auto_tqdm, notebook.tqdm) else None


def progress_bar(iterable=None, *, total=None, desc=None, disable=False):
    """A tqdm.auto bar whose stored text shows its final state once it is closed.

    Same arguments as tqdm (iterable or total, desc, disable); use it as tqdm: iterate over it,
    or call .update(n) and .close(). Defined in chapter 05.
    """
    notebook_tqdm = _notebook_class()
    if notebook_tqdm is None or disable:
        return auto_tqdm(iterable, total=total, desc=desc, disable=disable)
    return _StoredBar(notebook_tqdm)(iterable, total=total, desc=desc)


def stop_early(bar, reason, *, ok):
    """Write on bar why the run stopped before its total (``stopped: <reason>``); ok=True (a good
    reason, such as a solved task) makes a notebook bar end green instead of red when it closes."""
    bar.set_postfix_str(f"stopped: {reason}")   # short: the book's page is narrow
    bar.stopped_well = bool(ok)


@cache
def _StoredBar(base):
    """The notebook bar, displayed with a display id and updated with its final text on close.

    Built once per base class (cached): every bar of a kernel is an instance of the same class.
    """
    from tqdm import notebook

    class StoredBar(base):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, display=False, **kwargs)
            # the widget's bundle holds the view and the text/plain line of this moment; keep the
            # handle so close() can replace both with the finished bar's
            self._handle = notebook.display(self.container, display_id=True)
            self.displayed = True

        def close(self):
            if getattr(self, "_closed_once", False):
                return
            self._closed_once = True
            super().close()
            if getattr(self, "stopped_well", False):
                # tqdm paints a bar closed short of its total red, as a failure; this run ended well
                self.container.children[1].bar_style = "success"
            if self._handle is not None:
                self._handle.update(self.container)   # the same widget, its text now the final line

    return StoredBar
