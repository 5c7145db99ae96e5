"""The PP-OCRv4 text detector cut around its spatial 1x1 convolutions, so that NumPy can
compute those layers inside an onnxruntime pass of the model's own graph.

How: the graph is cut before and after each of the 22 convs of
:func:`wcc.data.ocr_spatial_layers`. Segment ``j`` is the part of the graph that computes the
input of cut conv ``j`` from what is already known (the photo and everything earlier segments
and cut convs produced); the last segment computes the probability map. Each segment is
extracted with :class:`onnx.utils.Extractor` (the original nodes, attributes and constants,
unchanged) and runs in its own onnxruntime CPU session. A pass runs the segments in order and,
between them, a Python callable per cut conv: the layer's float 1x1 conv by default, or any
replacement (the integer WCC layer, a quantized input, the RTL simulation).

Why not a custom operator (``onnxruntime-extensions``): it would add a dependency and hide the
per-layer state (calibration, the hardware run) inside the runtime's callbacks. Cutting keeps
the graph, needs nothing beyond ``onnx`` and ``onnxruntime``, and lets a pass that replaces
only late layers reuse the float pass's earlier segments (:meth:`SegmentedDetector.run`'s
``start``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import data


@dataclass(frozen=True)
class Layer:
    """One cut 1x1 conv: its input tensor (the layer's name in this project), conv node,
    output tensor, float weight (C_out, C_in) and bias (C_out,) or None, and its index."""

    tensor: str
    node: str
    output: str
    weight: np.ndarray
    bias: np.ndarray | None
    index: int

    @property
    def c_in(self) -> int:
        return int(self.weight.shape[1])

    @property
    def c_out(self) -> int:
        return int(self.weight.shape[0])

    def conv(self, x) -> np.ndarray:
        """The exact float 1x1 conv of a (C_in, H, W) map, float64."""
        x = np.asarray(x, dtype=np.float64)
        out = (self.weight @ x.reshape(x.shape[0], -1)).reshape((-1,) + x.shape[1:])
        return out if self.bias is None else out + self.bias[:, None, None]

    def conv32(self, x) -> np.ndarray:
        """The same conv in float32, as onnxruntime computes it: a float pass's layers."""
        x = np.asarray(x, dtype=np.float32)
        out = (self.weight.astype(np.float32) @ x.reshape(x.shape[0], -1))
        out = out.reshape((-1,) + x.shape[1:])
        return out if self.bias is None else out + self.bias.astype(np.float32)[:, None, None]


def spatial_layers() -> list[Layer]:
    """The 22 spatial 1x1 convs of the detector in graph order, with weights."""
    spatial = {t for t, *_ in data.ocr_spatial_layers()}
    consts = data._constants()
    out = []
    for tensor, node, output, w_name, b_name in data._conv1x1_nodes():
        if tensor in spatial:
            w = consts[w_name][:, :, 0, 0].astype(np.float64)
            b = None if b_name is None else consts[b_name].reshape(-1).astype(np.float64)
            out.append(Layer(tensor, node, output, w, b, len(out)))
    return out


def find_layer(name: str, layers=None) -> Layer:
    """A layer by its input tensor (``p2o.Add.35``) or conv node name (``p2o.Conv.6``)."""
    layers = spatial_layers() if layers is None else layers
    for lay in layers:
        if name in (lay.tensor, lay.node):
            return lay
    raise ValueError(f"layer must be one of the detector's spatial 1x1 convs "
                     f"({', '.join(lay.tensor for lay in layers)}), got {name!r}")


def _backward_closure(nodes, produced_by, targets, stop) -> set[int]:
    """Indices of the nodes needed to compute ``targets`` from the tensors in ``stop``."""
    seen: set[int] = set()
    stack = list(targets)
    while stack:
        name = stack.pop()
        if name in stop or name not in produced_by:
            continue
        i = produced_by[name]
        if i not in seen:
            seen.add(i)
            stack += [t for t in nodes[i].input if t]
    return seen


def plan_segments(graph, cut_nodes: list[str]) -> list[dict]:
    """Cut ``graph`` around ``cut_nodes`` (names, in graph order): one dict per segment with
    ``nodes`` (indices), ``inputs`` and ``outputs`` (tensor names); segment j ends at the
    input of cut node j, the last one at the graph's outputs."""
    nodes = list(graph.node)
    produced_by = {o: i for i, n in enumerate(nodes) for o in n.output if o}
    by_name = {n.name: i for i, n in enumerate(nodes)}
    cuts = [nodes[by_name[c]] for c in cut_nodes]
    consts = {o for n in nodes if n.op_type == "Constant" for o in n.output}
    known = {i.name for i in graph.input}
    segments = []
    for j in range(len(cuts) + 1):
        targets = [cuts[j].input[0]] if j < len(cuts) else [o.name for o in graph.output]
        idx = _backward_closure(nodes, produced_by, targets, known)
        if any(by_name[c.name] in idx for c in cuts):
            raise ValueError("a cut conv is needed before its own input: not a layer cut")
        made = {o for i in idx for o in nodes[i].output if o}
        needs = {t for i in idx for t in nodes[i].input if t and t not in made}
        segments.append(dict(nodes=sorted(idx), inputs=sorted(needs), targets=targets,
                             made=made))
        # Constants stay local: a later segment re-extracts its Constant nodes.
        known |= made - consts
        if j < len(cuts):
            known.add(cuts[j].output[0])
    for j, seg in enumerate(segments):
        # What later segments read, and later cut convs' inputs made here (a conv that reads
        # a tensor an earlier segment made has an empty segment of its own).
        later = set().union(*(set(s["inputs"]) | set(s["targets"]) for s in segments[j + 1:]))
        seg["outputs"] = sorted(seg["made"] & (later | set(seg["targets"])))
        del seg["made"]
    return segments


class SegmentedDetector:
    """The detector as onnxruntime segments between its spatial 1x1 convs (module doc).

    Parameters
    ----------
    threads : int
        onnxruntime intra-op threads per session (the machine's cores are shared).
    """

    def __init__(self, threads: int = 1):
        import onnx
        import onnxruntime as ort
        from onnx.utils import Extractor

        self.layers = spatial_layers()
        model = onnx.ModelProto()
        model.CopyFrom(data._model())
        plan = plan_segments(model.graph, [lay.node for lay in self.layers])
        # Extractor wants a type for every cut tensor; onnx's inference gives most of them.
        model = onnx.shape_inference.infer_shapes(model)
        have = {v.name for v in list(model.graph.value_info) + list(model.graph.input)
                + list(model.graph.output)}
        for seg in plan:
            for name in seg["inputs"] + seg["outputs"]:
                if name not in have:
                    model.graph.value_info.append(
                        onnx.helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, None))
                    have.add(name)
        ext = Extractor(model)
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = int(threads)
        opts.inter_op_num_threads = 1
        opts.log_severity_level = 3
        self.segments = []
        for seg in plan:
            if not seg["nodes"]:  # its target is already known
                self.segments.append((None, [], []))
                continue
            sub = ext.extract_model(seg["inputs"], seg["outputs"])
            sess = ort.InferenceSession(sub.SerializeToString(), opts,
                                        providers=["CPUExecutionProvider"])
            self.segments.append((sess, seg["inputs"], seg["outputs"]))
        self.input_name = model.graph.input[0].name
        self.output_name = model.graph.output[0].name
        self._whole = ort.InferenceSession(data._model().SerializeToString(), opts,
                                           providers=["CPUExecutionProvider"])

    def original(self, x) -> np.ndarray:
        """The uncut model's probability map (H, W) for a detector input (1, 3, H, W)."""
        return self._whole.run([self.output_name], {self.input_name: x})[0][0, 0]

    def run(self, x, replace=None, *, start=None, record=False):
        """One pass: the probability map (H, W), float32.

        Parameters
        ----------
        x : (1, 3, H, W) float32
            The detector's input (:func:`wcc.data.det_input`).
        replace : dict, optional
            ``{layer index: f}``: ``f(x (C_in, H, W) float64) -> (C_out, H, W)`` computes that
            layer instead of its float conv.
        start : list, optional
            The ``states`` of a float pass of the same ``x`` (``record=True``): the pass starts
            at the first replaced layer's segment from the float pass's tensors.
        record : bool
            Also return ``states``: before each segment, the tensors known so far; and
            ``inputs``: each cut layer's input map (C_in, H, W) float64.
        """
        replace = dict(replace or {})
        bad = [k for k in replace if not 0 <= k < len(self.layers)]
        if bad:
            raise ValueError(f"replace keys must be layer indices in [0, {len(self.layers)}), "
                             f"got {bad}")
        first = 0
        env = {self.input_name: x}
        if start is not None:
            first = min(replace, default=len(self.layers))
            env = dict(start[first])
        states, inputs = [], {}
        for j in range(first, len(self.segments)):
            sess, ins, outs = self.segments[j]
            if record:
                states.append(dict(env))
            if sess is not None:
                env.update(zip(outs, sess.run(outs, {n: env[n] for n in ins}), strict=True))
            if j == len(self.layers):
                break
            lay = self.layers[j]
            xin = env[lay.tensor][0]
            if record:
                inputs[j] = xin.astype(np.float64)
            y = replace[j](xin.astype(np.float64)) if j in replace else lay.conv32(xin)
            env[lay.output] = np.asarray(y, dtype=np.float32)[None]
        prob = env[self.output_name][0, 0]
        return (prob, states, inputs) if record else prob
