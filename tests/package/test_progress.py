"""lstmkit.progress: a finished run's stored progress bar reads as finished in its text form.

A notebook is executed with nbclient (as nbconvert and the book build do) and its saved outputs are
read back: the widget view must still be there for JupyterLab, and the text/plain line that GitHub's
viewer and nbconvert show must be the final state, 100%, not the 0% of the moment the bar appeared.
"""
import nbformat
import pytest

from lstmkit.progress import progress_bar

CELLS = [
    "from lstmkit.progress import progress_bar\n"
    "for _ in progress_bar(range(40), desc='loop'):\n"
    "    pass",
    "bar = progress_bar(total=7, desc='manual')\n"
    "for _ in range(7):\n"
    "    bar.update(1)\n"
    "bar.close()",
    "from lstmkit.train import TrainConfig, train\n"
    "h = train(TrainConfig(cell='rnn', forget_bias=None, T=10, hidden_size=3, batch_size=4, steps=12,"
    " eval_every=6, n_test=8))",
    "for _ in progress_bar(range(5), desc='quiet', disable=True):\n"
    "    pass",
    "h = train(TrainConfig(cell='rnn', forget_bias=None, T=10, hidden_size=3, batch_size=4, steps=12,"
    " eval_every=6, n_test=8, stop_mse=10.0, clip=None))",
    "from lstmkit.progress import stop_early\n"
    "bar = progress_bar(total=9, desc='failed')\n"
    "bar.update(4)\n"
    "stop_early(bar, 'diverged', ok=False)\n"
    "bar.close()",
]
WIDGET = "application/vnd.jupyter.widget-view+json"


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(src) for src in CELLS])
    NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    # what a saved notebook holds: write and read it back
    path = tmp_path_factory.mktemp("progress") / "bars.ipynb"
    nbformat.write(nb, path)
    return nbformat.read(path, as_version=4)


def displays(cell):
    return [o for o in cell.outputs if o.output_type == "display_data"]


@pytest.mark.parametrize("index, desc, done", [(0, "loop", "40/40"), (1, "manual", "7/7"), (2, "rnn T=10", "12/12")])
def test_the_stored_text_of_a_finished_bar_reads_100_percent(executed, index, desc, done):
    (out,) = displays(executed.cells[index])
    text = out.data["text/plain"]
    assert text.startswith(desc) and "100%" in text and done in text, text
    assert " 0%" not in text
    # the live widget is still there for JupyterLab
    assert WIDGET in out.data and out.data[WIDGET]["model_id"]


def test_a_run_stopped_early_says_so(executed):
    # MSE < 10 holds at step 0: the run stops before its first step, its bar at 0 of 12
    (out,) = displays(executed.cells[4])
    text = out.data["text/plain"]
    assert "stopped: solved" in text, text


def bar_style(nb, cell):
    """The bar_style of the progress widget that a stored cell shows (from the notebook's widget state)."""
    (out,) = displays(nb.cells[cell])
    state = nb.metadata.widgets["application/vnd.jupyter.widget-state+json"]["state"]
    box = state[out.data[WIDGET]["model_id"]]["state"]
    bar = state[box["children"][1].removeprefix("IPY_MODEL_")]
    return bar["state"]["bar_style"]


def test_a_run_stopped_because_it_solved_the_task_ends_green(executed):
    # tqdm paints a bar closed short of its total red ("danger"); a solved run is no failure
    assert bar_style(executed, 4) == "success"
    assert bar_style(executed, 2) == "success"       # a run that used its whole budget


def test_a_run_stopped_for_a_bad_reason_stays_red(executed):
    assert bar_style(executed, 5) == "danger"
    (out,) = displays(executed.cells[5])
    assert "stopped: diverged" in out.data["text/plain"]


def test_a_disabled_bar_shows_nothing(executed):
    assert executed.cells[3].outputs == []


def test_outside_a_notebook_it_is_a_plain_tqdm_bar(capsys):
    bar = progress_bar(range(3), desc="term")
    assert list(bar) == [0, 1, 2]
    assert "3/3" in capsys.readouterr().err
