"""Chapter 06's plot helper: gru_cell_diagram draws one GRU step the way chapter 03 draws the LSTM's."""
import matplotlib.pyplot as plt
import pytest

from lstmkit import plots

pytestmark = pytest.mark.usefixtures("agg_figures")   # Agg, and every figure closed


def test_gru_diagram_has_the_gates_in_torch_order_and_the_symbols_of_the_equations():
    fig, ax = plt.subplots()
    routes = plots.gru_cell_diagram(ax)
    labels = [t.get_text() for t in ax.texts]
    gates = [lab for lab in labels if lab in ("$r_t$", "$z_t$", "$n_t$")]
    # the gate boxes come first among these labels, left to right z, r, n: z_t's wire runs up to the
    # direct path, so r_t's box stands right of it and its wire to the candidate goes right, crossing nothing
    assert gates[:3] == ["$z_t$", "$r_t$", "$n_t$"]
    boxes = {t.get_text(): t.get_position()[0] for t in ax.texts if t.get_text() in gates[:3]}
    (x_reset, _), _ = routes["reset"]._posA_posB
    assert boxes["$z_t$"] < boxes["$r_t$"] < x_reset < boxes["$n_t$"]
    for sym in ("$h_{t-1}$", "$h_t$", "$x_t$", r"$(1 - z_t) \odot n_t$", r"$r_t \odot \mathtt{hn}$",
                r"$\mathtt{hn}$", r"$\mathtt{gi}_n$", r"$\times$", "$+$", "$1-$", "tanh", r"$\sigma$"):
        assert sym in labels, sym
    assert any("split r, z, n" in lab for lab in labels)
    assert any(r"\mathrm{diag}(z_t)" in lab for lab in labels)
    assert set(routes) == {"direct", "write", "reset"}


def test_gru_diagram_highlights_the_direct_path_like_the_lstm_cell_path():
    fig, ax = plt.subplots()
    routes = plots.gru_cell_diagram(ax)
    _, ax3 = plt.subplots()
    lstm = plots.lstm_cell_diagram(ax3)
    # the same colour and width as chapter 03's cell path, thicker than the write
    assert routes["direct"].get_edgecolor() == lstm["cell"].get_edgecolor()
    assert routes["direct"].get_linewidth() == lstm["cell"].get_linewidth()
    assert routes["direct"].get_linewidth() > routes["write"].get_linewidth()
    # the write enters the + node on the direct path from below; the reset wire points down into its x node
    (x_w0, y_w0), (x_w1, y_w1) = routes["write"]._posA_posB
    (x_d0, y_d0), (x_d1, y_d1) = routes["direct"]._posA_posB
    assert y_w1 < y_d1 and x_w1 == pytest.approx(x_d1 + 0.22)
    (_, y_r0), (_, y_r1) = routes["reset"]._posA_posB
    assert y_r1 < y_r0
    assert not ax.axison
