"""Report the plate reader's accuracy on the real evaluation sets (never used for training or
checkpoint choice) and on the held-out synthetic set.

    /usr/bin/python3 evaluate.py                         # evaluates ../models/plate_reader.onnx via cv2.dnn
    /usr/bin/python3 evaluate.py --ckpt checkpoints/best.pt   # a torch checkpoint instead
    /usr/bin/python3 evaluate.py --json runs/eval.json --dump runs/eval_errors.txt

Crops follow the contract in plate_reader.json: the ground-truth plate quadrilateral is
extended by margin_x of the plate width on each side and margin_y of the plate height on
top/bottom (in the plate's own frame), warped upright at native resolution, converted to grey
and resized to W x H with INTER_AREA. lprnet_crops are already crops (94 x 24): resized only.

Confident-wrong rate: a read is *accepted* when its greedy CTC decode has 7 or 8 characters and
its lowest per-character confidence is >= 0.8, where a character's confidence is the softmax
probability of its class at the time steps the greedy path emits it (max over its run of
repeated frames). confident-wrong = accepted and not exactly equal to the label, divided by all
plates in the set.
"""
import argparse
import csv
import json
import math
import os

import cv2
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = "/work/shared/data/plates"
MODELS = os.path.join(HERE, "..", "models")


def load_meta(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def quad_crop(img, quad, mx, my, ow, oh):
    """quad: TL, TR, BR, BL float32 (4,2). Extend by margins in the plate frame, warp, resize."""
    quad = np.float32(quad)
    unit = np.float32([[0, 0], [1, 0], [1, 1], [0, 1]])
    Hq = cv2.getPerspectiveTransform(unit, quad)
    ext = np.float32([[-mx, -my], [1 + mx, -my], [1 + mx, 1 + my], [-mx, 1 + my]])
    eq = cv2.perspectiveTransform(ext[None], Hq)[0]
    w = max(8, int(round(max(np.linalg.norm(eq[1] - eq[0]), np.linalg.norm(eq[2] - eq[3])))))
    h = max(4, int(round(max(np.linalg.norm(eq[3] - eq[0]), np.linalg.norm(eq[2] - eq[1])))))
    M = cv2.getPerspectiveTransform(eq, np.float32([[0, 0], [w, 0], [w, h], [0, h]]))
    crop = cv2.warpPerspective(img, M, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    g = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY)
    return cv2.resize(g, (ow, oh), interpolation=cv2.INTER_AREA)


def rotated_rect_quad(cx, cy, w, h, ang):
    if h > w:  # OpenCV RotatedRect with the long side as height
        w, h, ang = h, w, ang + 90
    while ang > 90:
        ang -= 180
    while ang < -90:
        ang += 180
    a = math.radians(ang)
    u = np.float32([math.cos(a), math.sin(a)]) * w / 2
    v = np.float32([-math.sin(a), math.cos(a)]) * h / 2
    c = np.float32([cx, cy])
    return np.float32([c - u - v, c + u - v, c + u + v, c - u + v])


def order_quad(pts):
    pts = np.float32(pts)
    c = pts.mean(0)
    ang = np.arctan2(pts[:, 1] - c[1], pts[:, 0] - c[0])
    pts = pts[np.argsort(ang)]          # clockwise in image coords starting near -pi (left)
    # rotate so that index 0 is top-left (min x+y)
    k = int(np.argmin(pts.sum(1)))
    return np.roll(pts, -k, axis=0)


def load_set(name, meta):
    ow, oh = meta["input"]["width"], meta["input"]["height"]
    mx, my = meta["crop"]["margin_x"], meta["crop"]["margin_y"]
    d = os.path.join(DATA, name)
    rows = list(csv.DictReader(open(os.path.join(d, "labels.csv"), encoding="utf-8")))
    if name == "lprnet_crops":
        # only the `eval` part: the `train` part is in the reader's training (split.csv)
        split = {r["filename"]: r["split"] for r in csv.DictReader(open(os.path.join(d, "split.csv"), encoding="utf-8"))}
        rows = [r for r in rows if split.get(r["filename"]) == "eval"]
    xs, ts, ks = [], [], []
    for r in rows:
        img = cv2.imread(os.path.join(d, r["filename"]), cv2.IMREAD_COLOR)
        if img is None:
            continue
        if name == "lprnet_crops":
            g = cv2.resize(cv2.cvtColor(img, cv2.COLOR_BGR2GRAY), (ow, oh), interpolation=cv2.INTER_LINEAR)
        elif name == "easypr_dev":
            q = rotated_rect_quad(float(r["plate_cx"]), float(r["plate_cy"]), float(r["plate_w"]),
                                  float(r["plate_h"]), float(r["rotation_deg"]))
            g = quad_crop(img, q, mx, my, ow, oh)
        elif name == "ccpd_dev":
            pts = [tuple(map(float, p.split("&"))) for p in r["four_vertices"].split(";")]
            g = quad_crop(img, order_quad(pts), mx, my, ow, oh)
        else:
            raise ValueError(name)
        xs.append(g)
        ts.append(r["plate_text"])
        ks.append(r.get("plate_colour") or "blue")
    return np.stack(xs), ts, ks


def gate_like_set(meta, n_per_kind=300, seed=777001):
    """Synthetic plates under gate-like conditions (Synth.sample(mild=True)); own seed."""
    import plate_synth as ps
    s = ps.Synth(meta["input"]["width"], meta["input"]["height"], seed=seed,
                 margin=(meta["crop"]["margin_x"], meta["crop"]["margin_y"]))
    want = {"blue": n_per_kind, "yellow": n_per_kind, "green_small": n_per_kind, "green_large": n_per_kind}
    got = dict.fromkeys(want, 0)
    xs, ts, ks = [], [], []
    while any(got[k] < want[k] for k in want):
        text, kind = ps.random_plate(s.rng)
        if kind not in want or got[kind] >= want[kind] or len(text) not in (7, 8) or text[-1] in ps.SPECIALS:
            continue
        got[kind] += 1
        g, t, k = s.sample(text, kind, mild=True)
        xs.append(g); ts.append(t); ks.append(k)
    return np.stack(xs), ts, ks


class OnnxRunner:
    def __init__(self, path, meta):
        self.net = cv2.dnn.readNetFromONNX(path)
        self.meta = meta

    def __call__(self, g):
        s, m = self.meta["input"]["scale"], self.meta["input"]["mean"]
        x = (g.astype(np.float32) * s - m)[None, None]
        self.net.setInput(x)
        out = self.net.forward()
        return out.reshape(self.meta["output"]["classes"], self.meta["output"]["timesteps"]) \
            if self.meta["output"]["layout"] == "CT" else out.reshape(self.meta["output"]["timesteps"], -1).T


class TorchRunner:
    def __init__(self, ckpt):
        import torch
        import train as tr
        torch.set_num_threads(1)
        self.torch = torch
        self.m = tr.PlateReader()
        self.m.load_state_dict(torch.load(ckpt, map_location="cpu")["model"])
        self.m.eval()
        self.tr = tr

    def __call__(self, g):
        x = self.torch.from_numpy(g.astype(np.float32))[None, None] * self.tr.SCALE - self.tr.MEAN
        with self.torch.no_grad():
            return self.m(x)[0].numpy()


def greedy(logits, charset, blank):
    z = logits - logits.max(0, keepdims=True)
    p = np.exp(z)
    p /= p.sum(0, keepdims=True)
    best = p.argmax(0)
    out, confs, prev = [], [], blank
    for t, k in enumerate(best):
        if k != blank and k != prev:
            out.append(charset[k])
            confs.append(float(p[k, t]))
        elif k != blank and k == prev:
            confs[-1] = max(confs[-1], float(p[k, t]))
        prev = k
    return "".join(out), confs


def score(run, xs, ts, ks, charset, blank, conf_thr=0.8, dump=None, setname=""):
    n = len(ts)
    exact = prov = 0
    ch_ok = ch_n = 0
    acc_n = acc_wrong = 0
    no_prov = 0
    per_kind = {}
    sweep = {thr: [0, 0] for thr in (0.5, 0.9, 0.95)}
    for g, t, k in zip(xs, ts, ks):
        txt, confs = greedy(run(g), charset, blank)
        for thr, v in sweep.items():
            if len(txt) in (7, 8) and confs and min(confs) >= thr:
                v[0] += 1
                v[1] += txt != t
        ok = txt == t
        exact += ok
        prov += bool(txt) and txt[0] == t[0]
        no_prov += txt[1:] == t[1:]
        if len(txt) == len(t):
            ch_ok += sum(a == b for a, b in zip(txt, t))
        ch_n += len(t)
        accepted = len(txt) in (7, 8) and confs and min(confs) >= conf_thr
        if accepted:
            acc_n += 1
            acc_wrong += not ok
        kk = "green" if k.startswith("green") else k
        pk = per_kind.setdefault(kk, [0, 0])
        pk[0] += ok; pk[1] += 1
        if dump is not None and not ok:
            dump.write("%s\t%s\t%s\tmin_conf=%.2f\n" % (setname, t, txt, min(confs) if confs else 0))
    return {
        "n": n,
        "exact_match": round(exact / n, 4),
        "province_acc": round(prov / n, 4),
        "exact_ignoring_province": round(no_prov / n, 4),
        "char_acc": round(ch_ok / ch_n, 4),
        "accepted_at_%.1f" % conf_thr: round(acc_n / n, 4),
        "accepted_exact": round((acc_n - acc_wrong) / max(1, acc_n), 4),
        "confident_wrong": round(acc_wrong / n, 4),
        "per_colour": {k: "%d/%d" % tuple(v) for k, v in per_kind.items()},
        "threshold_sweep": {"%.2f" % thr: {"accepted": round(v[0] / n, 4), "confident_wrong": round(v[1] / n, 4)}
                            for thr, v in sweep.items()},
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--onnx", default=os.path.join(MODELS, "plate_reader.onnx"))
    ap.add_argument("--meta", default=os.path.join(MODELS, "plate_reader.json"))
    ap.add_argument("--ckpt", default=None, help="evaluate a torch checkpoint instead of the ONNX")
    ap.add_argument("--sets", default="lprnet_crops,easypr_dev,ccpd_dev,synthetic,synthetic_gate")
    ap.add_argument("--json", default=None)
    ap.add_argument("--dump", default=None, help="write misreads here")
    a = ap.parse_args()
    meta = load_meta(a.meta)
    charset, blank = meta["charset"], meta["blank"]
    run = TorchRunner(a.ckpt) if a.ckpt else OnnxRunner(a.onnx, meta)
    dump = open(a.dump, "w", encoding="utf-8") if a.dump else None
    res = {}
    for s in a.sets.split(","):
        if s == "synthetic":
            d = np.load(os.path.join(HERE, "runs", "val_synth.npz"), allow_pickle=True)
            xs, ts, ks = d["x"], list(d["t"]), list(d["k"])
        elif s == "synthetic_gate":
            xs, ts, ks = gate_like_set(meta)
        else:
            xs, ts, ks = load_set(s, meta)
        res[s] = score(run, xs, ts, ks, charset, blank, dump=dump, setname=s)
        print(s, json.dumps(res[s], ensure_ascii=False), flush=True)
    if a.json:
        with open(a.json, "w", encoding="utf-8") as f:
            json.dump(res, f, ensure_ascii=False, indent=1)


if __name__ == "__main__":
    main()
