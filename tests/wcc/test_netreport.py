"""Tests of wcc/netreport.py: the pictures of ``wcc network`` on made-up records."""

import itertools

import pytest

from wcc import netreport

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def records():
    """One record per (method, scope, bits, photo), the metrics made up but in range."""
    out = []
    for n, (method, scope, b, photo) in enumerate(itertools.product(
            netreport.METHODS, netreport.SCOPES, (8, 4, 2, 1), ("page", "coins"))):
        out.append(dict(method=method, scope=scope, effective_bits=b, photo=photo,
                        box_f1=b / 8, mask_iou=b / 9, prob_mad=0.01 + n / 1000,
                        bits_per_activation=b + 0.1))
    return out


def test_bits_figure_legend_tells_every_curve_apart(records):
    """Four curves in the legend: those of one colour (one method) differ in the marker, since
    a legend handle's marker hides most of a dashed line."""
    plt = netreport._plt()
    fig = netreport.bits_figure(records)
    try:
        legend = fig.axes[0].get_legend()
        labels = [t.get_text() for t in legend.get_texts()]
        assert labels == [f"{m}, {netreport.SCOPE_TEXT[s]}"
                          for m in netreport.METHODS for s in netreport.SCOPES]
        handles = legend.legend_handles
        for a, b in itertools.combinations(handles, 2):
            if a.get_color() == b.get_color():
                assert a.get_marker() != b.get_marker(), (a.get_label(), b.get_label())
                assert a.get_linestyle() != b.get_linestyle()
        assert legend.handlelength >= 3
    finally:
        plt.close(fig)


def test_figure_bits_writes_a_png(records, tmp_path):
    path = tmp_path / "sub" / "bits.png"
    netreport.figure_bits(records, path)
    assert path.read_bytes()[:8] == PNG
