"""Export a checkpoint to ONNX for OpenCV 4.6 dnn, write the metadata JSON and the reference I/O.

    /usr/bin/python3 export.py --ckpt checkpoints/best.pt

Writes vision/models/plate_reader.onnx, vision/models/plate_reader.json and
tests/data/plates/reference/{ref_*.png, expected.json}. Verifies that cv2.dnn loads the file,
that only the allowed operators occur, and that cv2.dnn matches torch within 1e-4.
"""
import argparse
import datetime
import json
import os

import cv2
import numpy as np
import torch
import torch.nn as nn

import plate_synth as ps
import train as tr

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
ALLOWED = {"Conv", "BatchNormalization", "Relu", "MaxPool", "AveragePool", "Concat", "Squeeze",
           "Unsqueeze", "Transpose", "ReduceMean"}
MARGIN_X, MARGIN_Y = 0.06, 0.12


def fold_bn(seq):
    """Return a copy of an nn.Sequential with every Conv2d+BatchNorm2d pair folded into one Conv2d."""
    mods = list(seq)
    out = []
    i = 0
    while i < len(mods):
        m = mods[i]
        if isinstance(m, nn.Conv2d) and i + 1 < len(mods) and isinstance(mods[i + 1], nn.BatchNorm2d):
            bn = mods[i + 1]
            conv = nn.Conv2d(m.in_channels, m.out_channels, m.kernel_size, m.stride, m.padding, m.dilation, m.groups, bias=True)
            std = torch.sqrt(bn.running_var + bn.eps)
            g = bn.weight / std
            conv.weight.data = m.weight.data * g[:, None, None, None]
            b = m.bias.data if m.bias is not None else torch.zeros_like(bn.running_mean)
            conv.bias.data = (b - bn.running_mean) * g + bn.bias
            out.append(conv)
            i += 2
        else:
            out.append(m)
            i += 1
    return nn.Sequential(*out)


class Folded(nn.Module):
    def __init__(self, m):
        super().__init__()
        self.body = fold_bn(m.body)
        self.head = m.head

    def forward(self, x):
        return self.head(self.body(x)).squeeze(2)  # 1 x C x T


def reference_samples(n=6, seed=20261127):
    """Small synthetic crops (generator output, W x H grey) covering the plate kinds."""
    s = ps.Synth(tr.IN_W, tr.IN_H, seed=seed)
    kinds = ["blue", "yellow", "green_small", "green_large", "blue", "black"]
    out = []
    for k in kinds[:n]:
        while True:
            text, kind = ps.random_plate(s.rng)
            if kind == k:
                break
        g, t, _ = s.sample(text, kind, clean=(len(out) % 2 == 0))
        out.append((g, t, kind))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", default=os.path.join(HERE, "checkpoints", "best.pt"))
    ap.add_argument("--out-dir", default=os.path.join(REPO, "vision", "models"))
    ap.add_argument("--ref-dir", default=os.path.join(REPO, "tests", "data", "plates", "reference"))
    ap.add_argument("--version", default=None)
    ap.add_argument("--prior-fix", default=None,
                    help="CHAR=SHARE: the share of CHAR among the training samples' provinces (e.g. 皖=0.137 when real "
                         "crops, almost all 皖, were mixed in); its class logit is lowered by log(SHARE / generator "
                         "share), so that the exported reader keeps the generator's province prior (logit adjustment)")
    a = ap.parse_args()
    torch.set_num_threads(1)

    ck = torch.load(a.ckpt, map_location="cpu")
    m = tr.PlateReader()
    m.load_state_dict(ck["model"])
    m.eval()
    f = Folded(m).eval()
    x = torch.randn(4, 1, tr.IN_H, tr.IN_W)
    with torch.no_grad():
        d = (f(x) - m(x)).abs().max().item()
    assert d < 1e-4, "BN folding mismatch %g" % d
    prior_fix = None
    if a.prior_fix:
        ch, share = a.prior_fix.split("=")
        share = float(share)
        generator_share = ps.HU_PRIOR if ch == "沪" else (1 - ps.HU_PRIOR) / (len(ps.PROVINCES) - 1)
        delta = -float(np.log(share / generator_share))
        with torch.no_grad():
            f.head.bias[tr.IDX[ch]] += delta
        prior_fix = {"char": ch, "training_share": share, "generator_share": round(generator_share, 5),
                     "logit_delta": round(delta, 4)}
        print("prior fix", prior_fix)

    os.makedirs(a.out_dir, exist_ok=True)
    onnx_path = os.path.join(a.out_dir, "plate_reader.onnx")
    dummy = torch.zeros(1, 1, tr.IN_H, tr.IN_W)
    torch.onnx.export(f, dummy, onnx_path, opset_version=11, input_names=["input"], output_names=["logits"],
                      do_constant_folding=True, training=torch.onnx.TrainingMode.EVAL)
    import onnx
    mp = onnx.load(onnx_path)
    ops = sorted({n.op_type for n in mp.graph.node})
    bad = set(ops) - ALLOWED
    assert not bad, "operators not allowed for cv::dnn 4.6: %s" % bad
    with torch.no_grad():
        T = f(dummy).shape[2]

    net = cv2.dnn.readNetFromONNX(onnx_path)
    refs = reference_samples()
    worst = 0.0
    for g, _, _ in refs + [(np.random.RandomState(i).randint(0, 256, (tr.IN_H, tr.IN_W)).astype(np.uint8), "", "") for i in range(3)]:
        inp = (g.astype(np.float32) * tr.SCALE - tr.MEAN)[None, None]
        net.setInput(inp)
        o_cv = net.forward()
        with torch.no_grad():
            o_t = f(torch.from_numpy(inp)).numpy()
        worst = max(worst, float(np.abs(o_cv.reshape(o_t.shape) - o_t).max()))
    assert worst < 1e-4, "cv2.dnn vs torch mismatch %g" % worst

    st = ck["state"]
    version = a.version or "%s-s%d" % (datetime.date.today().strftime("%Y%m%d"), st["step"])
    meta = {
        "version": version,
        "created": datetime.datetime.utcnow().replace(microsecond=0).isoformat() + "Z",
        "model_file": "plate_reader.onnx",
        "input": {"name": "input", "shape": [1, 1, tr.IN_H, tr.IN_W], "width": tr.IN_W, "height": tr.IN_H,
                  "channels": 1, "colour": "grey from BGR via cv::cvtColor(COLOR_BGR2GRAY)",
                  "scale": tr.SCALE, "mean": tr.MEAN,
                  "formula": "x = v * scale - mean, v = grey pixel 0..255 (i.e. x = v/127.5 - 1.0, range -1..1); "
                             "cv::dnn::blobFromImage(grey, scale, Size(width,height), Scalar(mean/scale)) gives the same"},
        "output": {"name": "logits", "shape": [1, len(tr.CHARSET), T], "layout": "CT",
                   "timesteps": T, "classes": len(tr.CHARSET),
                   "kind": "raw logits (no softmax); CTC over time steps left->right"},
        "blank": 0,
        "charset": tr.CHARSET,
        "crop": {"margin_x": MARGIN_X, "margin_y": MARGIN_Y,
                 "how": "extend the rectified plate quadrilateral by margin_x*plate_width on the left and on the right "
                        "and margin_y*plate_height on top and bottom (in the plate frame), warp upright at about native "
                        "resolution, convert to grey, resize to width x height with INTER_AREA",
                 "trained_jitter": {"margin_x": [-0.05, 0.14], "margin_y": [-0.08, 0.25]}},
        "decode": {"method": "greedy CTC: argmax per time step, collapse repeats, drop blank",
                   "char_confidence": "softmax probability of the emitted class, max over the run of time steps that emit it",
                   "suggested_accept": "7 or 8 characters, grammar-valid, min char confidence >= 0.8"},
        "trained_samples": int(st["samples"]),
        "trained_samples_note": "samples seen by the optimiser; half of each batch after warm-up is replayed from a ring buffer of recent samples",
        "distinct_generated_samples": int(st.get("fresh_samples", 0)),
        "train_steps": int(st["step"]),
        "train_minutes": round(st["train_seconds"] / 60, 1),
        "synthetic_val_exact": round(float(st["best"]), 4),
        "onnx": {"opset": 11, "operators": ops, "bn_folded": True, "static_shapes": True,
                 "cv2_dnn_max_abs_diff_vs_torch": worst},
        "parameters": int(sum(p.numel() for p in f.parameters())),
        "province_prior_fix": prior_fix,
    }
    with open(os.path.join(a.out_dir, "plate_reader.json"), "w", encoding="utf-8") as fh:
        json.dump(meta, fh, ensure_ascii=False, indent=1)

    # reference I/O for the C++ test
    os.makedirs(a.ref_dir, exist_ok=True)
    for old in os.listdir(a.ref_dir):
        if old.startswith("ref_") and old.endswith(".png"):
            os.remove(os.path.join(a.ref_dir, old))
    items = []
    for i, (g, text, kind) in enumerate(refs):
        name = "ref_%d_%s.png" % (i, kind)
        p = os.path.join(a.ref_dir, name)
        cv2.imwrite(p, g)
        v = cv2.imread(p, cv2.IMREAD_GRAYSCALE)
        assert (v == g).all()
        inp = torch.from_numpy(v.astype(np.float32) * tr.SCALE - tr.MEAN)[None, None]
        with torch.no_grad():
            o = f(inp)[0].numpy()
        txt, confs = tr.greedy(o)
        items.append({"file": name, "label": text, "kind": kind, "greedy_text": txt,
                      "min_char_confidence": round(min(confs), 6) if confs else 0.0,
                      "output_shape": list(f(inp).shape), "output": [float("%.7g" % v_) for v_ in o.reshape(-1)]})
    with open(os.path.join(a.ref_dir, "expected.json"), "w", encoding="utf-8") as fh:
        json.dump({"model_version": version,
                   "preprocess": "imread IMREAD_GRAYSCALE (PNG is already %dx%d), x = v*%r - %r, NCHW 1x1x%dx%d" % (
                       tr.IN_W, tr.IN_H, tr.SCALE, tr.MEAN, tr.IN_H, tr.IN_W),
                   "output_layout": "output is 1 x classes x timesteps (layout CT after dropping batch); 'output' is that tensor flattened row-major",
                   "tolerance": 1e-3, "items": items}, fh, ensure_ascii=False)
    print("exported", onnx_path, os.path.getsize(onnx_path), "bytes; ops", ops, "; cv2 vs torch", worst)
    for it in items:
        print(" ", it["file"], it["label"], "->", it["greedy_text"], it["min_char_confidence"])


if __name__ == "__main__":
    main()
