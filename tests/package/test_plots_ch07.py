"""Chapter 07's plot helper: minlstm_cell_diagram draws one minLSTM step the way chapter 03 draws the LSTM's."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from lstmkit import plots  # noqa: E402


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def test_minlstm_diagram_has_the_gates_in_row_order_and_no_h_prev_below_the_line():
    fig, ax = plt.subplots()
    routes = plots.minlstm_cell_diagram(ax)
    labels = [t.get_text() for t in ax.texts]
    boxes = {t.get_text(): t.get_position()[0] for t in ax.texts if t.get_text() in ("$f_t$", "$i_t$", r"$\tilde h_t$")}
    # the gate boxes left to right in weight_ih's row order f, i, candidate
    assert boxes["$f_t$"] < boxes["$i_t$"] < boxes[r"$\tilde h_t$"]
    for sym in ("$h_{t-1}$", "$h_t$", "$x_t$", "$f'_t$", r"$i'_t \tilde h_t$", r"$\times$", "$+$", "linear"):
        assert sym in labels, sym
    assert any("split in the order f, i, candidate" in lab for lab in labels)
    assert any("f' = f/(f+i)" in lab for lab in labels)
    # h_{t-1} enters only from the left, on the carried line: the projection reads x_t alone
    assert not any("W_{hh}" in lab or "h_{t-1}W" in lab for lab in labels)
    assert set(routes) == {"carried", "write"}
    assert not ax.axison


def test_minlstm_diagram_highlights_the_carried_state_like_the_lstm_cell_path():
    fig, ax = plt.subplots()
    routes = plots.minlstm_cell_diagram(ax)
    _, ax3 = plt.subplots()
    lstm = plots.lstm_cell_diagram(ax3)
    assert routes["carried"].get_edgecolor() == lstm["cell"].get_edgecolor()
    assert routes["carried"].get_linewidth() > routes["write"].get_linewidth()
    # the write rises into the + node on the carried line
    (_, y_w0), (x_w1, y_w1) = routes["write"]._posA_posB
    (_, y_c), (x_c1, _) = routes["carried"]._posA_posB
    assert y_w0 < y_w1 < y_c and x_w1 < x_c1 + 0.22
