"""Tests of wcc/netgraph.py: the cut detector computes what the uncut model computes."""

import numpy as np
import pytest
from onnx import TensorProto, helper

from golden.wcc_float import wcc_float
from wcc import data, netgraph

SIZE = (96, 160)  # small, not square, every map at least 3 x 5


@pytest.fixture(scope="module")
def det():
    return netgraph.SegmentedDetector()


@pytest.fixture(scope="module")
def page():
    return data.det_input("page", SIZE)


def test_plan_of_a_graph_with_a_skip_connection():
    """x -> Relu a -> cut conv b -> Add(b, a) c -> cut conv d -> Sigmoid y: the skip tensor a
    crosses from the first segment into the second."""
    w = helper.make_tensor("w", TensorProto.FLOAT, [2, 2, 1, 1], [1, 0, 0, 1])
    nodes = [
        helper.make_node("Relu", ["x"], ["a"], name="relu"),
        helper.make_node("Constant", [], ["wc"], name="const", value=w),
        helper.make_node("Conv", ["a", "wc"], ["b"], name="conv1"),
        helper.make_node("Add", ["b", "a"], ["c"], name="add"),
        helper.make_node("Conv", ["c", "wc"], ["d"], name="conv2"),
        helper.make_node("Sigmoid", ["d"], ["y"], name="sig"),
    ]
    vi = helper.make_tensor_value_info
    g = helper.make_graph(nodes, "g", [vi("x", TensorProto.FLOAT, [1, 2, 4, 4])],
                          [vi("y", TensorProto.FLOAT, None)])
    plan = netgraph.plan_segments(g, ["conv1", "conv2"])
    assert [(s["nodes"], s["inputs"], s["outputs"]) for s in plan] == [
        ([0], ["x"], ["a"]),
        ([3], ["a", "b"], ["c"]),
        ([5], ["d"], ["y"]),
    ]
    with pytest.raises(ValueError, match="not a layer cut"):
        netgraph.plan_segments(g, ["conv2", "conv1"])


def test_layers_are_the_spatial_ones():
    layers = netgraph.spatial_layers()
    assert [lay.tensor for lay in layers] == [t for t, *_ in data.ocr_spatial_layers()]
    assert [(lay.c_in, lay.c_out) for lay in layers] == [
        (ci, co) for _, _, ci, co in data.ocr_spatial_layers()]
    assert netgraph.find_layer("p2o.Conv.6").tensor == "p2o.Add.35"
    with pytest.raises(ValueError, match="layer must be one of the detector's spatial"):
        netgraph.find_layer("p2o.Add.36")


def test_float_pass_reproduces_the_model(det, page):
    ref = det.original(page)
    prob = det.run(page)
    assert prob.shape == SIZE
    np.testing.assert_allclose(prob, ref, atol=1e-4)


def test_wcc_keep1_unquantized_reproduces_the_model(det, page):
    """Every layer as the float WCC reference at keep 1, no quantization: Haar, conv on all
    positions, inverse Haar is the conv itself."""
    rep = {lay.index: (lambda x, lay=lay: wcc_float(x, lay.weight, lay.bias, keep=1,
                                                    bits_w=None, bits_a=None))
           for lay in det.layers}
    np.testing.assert_allclose(det.run(page, rep), det.original(page), atol=1e-4)


def test_identity_wcc_path_returns_the_original(det):
    """A layer whose input goes through WCC with an identity conv (keep 1, unquantized) before
    its own conv: the map comes back unchanged and so does the network's output; the layer's
    own output is the ONNX model's tensor."""
    size = 128
    x = data.det_input("astronaut", size)
    lay = netgraph.find_layer("p2o.Add.35", det.layers)
    seen = {}

    def through_identity(m):
        back = wcc_float(m, np.eye(m.shape[0]), keep=1, bits_w=None, bits_a=None)
        np.testing.assert_allclose(back, m, atol=1e-9)
        seen["out"] = lay.conv(back)
        return seen["out"]

    prob = det.run(x, {lay.index: through_identity})
    np.testing.assert_allclose(prob, det.original(x), atol=1e-4)
    onnx_out = data.ocr_tensors([lay.output], "astronaut", size)[lay.output]
    np.testing.assert_allclose(seen["out"], onnx_out, atol=1e-4)


def test_start_from_the_float_states(det, page):
    _, states, inputs = det.run(page, record=True)
    assert len(states) == len(det.segments) and sorted(inputs) == list(range(len(det.layers)))
    lay = det.layers[15]

    def half(x):
        return 0.5 * lay.conv(x)

    np.testing.assert_array_equal(det.run(page, {15: half}, start=states),
                                  det.run(page, {15: half}))
    with pytest.raises(ValueError, match="replace keys must be layer indices"):
        det.run(page, {22: half})


def test_segments_are_the_original_nodes(det):
    """Each segment's nodes are the model's, with their attributes: every original node but
    the cut convs appears in exactly one segment (Constant nodes wherever they are read)."""
    model = data._model()
    plan = netgraph.plan_segments(model.graph, [lay.node for lay in det.layers])
    used = [i for s in plan for i in s["nodes"]]
    consts = {i for i, n in enumerate(model.graph.node) if n.op_type == "Constant"}
    cut = {n.name for n in model.graph.node} & {lay.node for lay in det.layers}
    others = [i for i in used if i not in consts]
    assert len(others) == len(set(others))
    want = {i for i, n in enumerate(model.graph.node)
            if n.op_type != "Constant" and n.name not in cut}
    assert set(others) == want
