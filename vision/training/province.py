"""Train, validate and export the province look: a small classifier of a plate's first character, read from a crop of
the province cell alone at the camera's own resolution.

    nice -n 5 /usr/bin/python3 province.py train --minutes 25 --real ../../../shared/data/plates/lprnet_crops
    /usr/bin/python3 province.py export        # vision/models/plate_province.{onnx,json} + reference I/O

Why: the reader sees a whole plate at 96x32, so a plate 200-360 px wide (the gate camera's own range) reaches it with
its province about 9 px wide, and the province is what holds right reads under the daemon's confidence (the serial
characters sit at 0.97-1.0). The province look crops the province cell from the rectified outline (GA 36-2014 layout:
cell 45 x 90 mm at 15.5 mm from a 440 mm plate's left edge, 43 x 90 mm at 16.5 mm on a 480 mm new-energy plate),
with a margin, at up to 32x48 pixels, and classifies it over the 31 provinces. The C++ side (vision/plate_province.h)
combines its probabilities with the reader's.

Training data, made on the fly, never from the evaluation scenes: plates drawn by plate_synth.py (every kind, the
province uniform over the 31: the look's output is the evidence of the pixels, the reader keeps the estate's prior),
warped at 60-380 px wide with perspective, cropped through an outline with the finder's errors, camera effects; and,
with --real, the `train` part of lprnet_crops: mostly their province-swapped versions (real_swap.py: a drawn
province, balanced) and a few as they are (皖). The checkpoint is chosen on a held-out generated set.
"""
import argparse
import json
import math
import os
import random
import signal
import time

import cv2
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

import plate_synth as ps

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
IN_W, IN_H = 32, 48
PROV = ps.PROVINCES
PIDX = {c: i for i, c in enumerate(PROV)}
SCALE, MEAN = 1 / 127.5, 1.0
# The province region in the plate's own frame (fractions of the plate's width and height): the cell with a fifth of
# its width either side and an eighth of the character's height above and below.
def region(n):
    W, cw, boxes, _ = ps.layout(n)
    x0, w = boxes[0]
    return ((x0 - 0.2 * cw) / W, (x0 + 1.2 * cw) / W, (25 - 0.125 * 90) / 140, (115 + 0.125 * 90) / 140)


def crop_region(img, quad, n, jitter=None):
    """The province region of the plate whose outline is quad (TL TR BR BL, image pixels), as IN_W x IN_H grey: warped
    at its native size, then shrunk with area averaging (or enlarged linearly), as the C++ side does."""
    x0, x1, y0, y1 = region(n)
    src_unit = np.float32([[0, 0], [1, 0], [1, 1], [0, 1]])
    H = cv2.getPerspectiveTransform(src_unit, np.float32(quad))
    pts = np.float32([[[x0, y0]], [[x1, y0]], [[x1, y1]], [[x0, y1]]])
    corners = cv2.perspectiveTransform(pts, H)[:, 0]
    nw = max(4, int(round(np.linalg.norm(corners[1] - corners[0]))))
    nh = max(6, int(round(np.linalg.norm(corners[3] - corners[0]))))
    M = cv2.getPerspectiveTransform(corners, np.float32([[0, 0], [nw, 0], [nw, nh], [0, nh]]))
    g = img if img.ndim == 2 else cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
    out = cv2.warpPerspective(g, M, (nw, nh), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    interp = cv2.INTER_AREA if nw > IN_W else cv2.INTER_LINEAR
    return cv2.resize(out, (IN_W, IN_H), interpolation=interp)


def finder_error(quad, rng, big=False):
    """The outline the finder hands over: each corner off by some of the plate's width and height. Measured on the
    fitting scenes (kinds-fit, the pipeline's outlines mapped into the labelled plate's frame): corners off by a standard
    deviation of about 4% of the width across and 10% of the height up and down, the outline 2% wider on the left and
    5% taller than the plate on average; drawn here a little wider than measured."""
    q = np.float32(quad).copy()
    w = np.linalg.norm(q[1] - q[0])
    h = np.linalg.norm(q[3] - q[0])
    sx, sy = (0.035, 0.09) if big else (0.02, 0.05)
    shift = np.float32([rng.gauss(-0.01, 0.025) * w, rng.gauss(0.0, 0.04) * h])
    grow = np.float32([[-1, -1], [1, -1], [1, 1], [-1, 1]]) * np.float32([rng.gauss(0.01, 0.015) * w,
                                                                          rng.gauss(0.03, 0.03) * h])
    return q + shift + grow + np.float32([[rng.gauss(0, sx) * w, rng.gauss(0, sy) * h] for _ in range(4)])


class Gen:
    def __init__(self, seed, real=None, pool=None, real_frac=0.0, natural_frac=0.2):
        self.rng = random.Random(seed)
        self.synth = ps.Synth(96, 32, seed=seed)
        self.real, self.pool = real or [], pool or []
        self.real_frac = real_frac if self.pool else 0.0
        self.natural_frac = natural_frac

    def synthetic(self):
        rng = self.rng
        while True:
            text, kind = ps.random_plate(rng)
            if text[0] in PROV:
                break
        text = rng.choice(PROV) + text[1:]
        plate = ps.draw_plate(text, kind, self.synth.bank, rng)
        plate = self.synth._plate_surface(plate, rng)
        ph, pw = plate.shape[:2]
        tw = math.exp(rng.uniform(math.log(60), math.log(380)))
        th = tw * ph / pw
        W, H = int(tw * 1.15) + 8, int(th * 1.8) + 8
        ang = math.radians(rng.uniform(-8, 8))
        shear = rng.uniform(-0.2, 0.2)
        yaw = rng.uniform(-0.18, 0.18)
        q = np.float32([[0, 0], [tw, 0], [tw, th], [0, th]])
        q[:, 0] += shear * (q[:, 1] - th / 2)
        q[:, 1] = th / 2 + (q[:, 1] - th / 2) * (1 + yaw * (q[:, 0] / tw - 0.5) * 2)
        c, s = math.cos(ang), math.sin(ang)
        q = (q - [tw / 2, th / 2]) @ np.float32([[c, s], [-s, c]]) + [W / 2, H / 2]
        q = q.astype(np.float32)
        M = cv2.getPerspectiveTransform(np.float32([[0, 0], [pw, 0], [pw, ph], [0, ph]]), q)
        pl = plate
        if tw / pw < 0.7:
            pl = cv2.GaussianBlur(plate, (0, 0), 0.45 / max(tw / pw, 1e-3) * rng.uniform(0.6, 1.0))
        warped = cv2.warpPerspective(pl, M, (W, H), flags=cv2.INTER_LINEAR)
        m = cv2.warpPerspective(np.ones((ph, pw), np.float32), M, (W, H), flags=cv2.INTER_LINEAR)[:, :, None]
        img = ps.random_background(W, H, rng) * (1 - m) + warped.astype(np.float32) * m
        img = np.clip(self.synth._photometric(img, rng), 0, 255).astype(np.uint8)
        if rng.random() < 0.7:
            ok, enc = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, rng.randint(25, 92)])
            img = cv2.imdecode(enc, cv2.IMREAD_COLOR)
        return crop_region(img, finder_error(q, rng, rng.random() < 0.5), len(text)), PIDX[text[0]]

    def real_one(self):
        rng = self.rng
        if rng.random() < self.natural_frac:
            im, text = self.real[rng.randrange(len(self.real))]
        else:
            im, text = self.pool[rng.randrange(len(self.pool))]
        h, w = im.shape[:2]
        q = np.float32([[0, 0], [w, 0], [w, h], [0, h]])  # the crops are cut at the plate
        img = im.astype(np.float32)
        img = (img - 128) * rng.uniform(0.7, 1.2) + 128 + rng.uniform(-30, 30)
        if rng.random() < 0.3:
            img = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.3, 0.9))
        img = np.clip(img, 0, 255).astype(np.uint8)
        return crop_region(img, finder_error(q, rng), len(text)), PIDX[text[0]]

    def __call__(self):
        if self.real_frac and self.rng.random() < self.real_frac:
            return self.real_one()
        return self.synthetic()


class Stream(torch.utils.data.IterableDataset):
    def __init__(self, seed, real, pool, real_frac):
        self.args = (seed, real, pool, real_frac)

    def __iter__(self):
        info = torch.utils.data.get_worker_info()
        seed, real, pool, real_frac = self.args
        g = Gen(seed * 100 + (info.id if info else 0), real, pool, real_frac)
        while True:
            yield g()


def cbr(cin, cout, k=3, p=1):
    return [nn.Conv2d(cin, cout, k, padding=p, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]


class ProvinceNet(nn.Module):
    """1x48x32 grey -> 31 logits. Conv, BatchNorm (folded at export), ReLU, MaxPool, Squeeze: what OpenCV 4.6 loads."""

    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(
            *cbr(1, 24), nn.MaxPool2d(2),                    # 24 x 16
            *cbr(24, 48), nn.MaxPool2d(2),                   # 12 x 8
            *cbr(48, 64), *cbr(64, 64), nn.MaxPool2d(2),     # 6 x 4
            *cbr(64, 128, k=(6, 4), p=0),                    # 1 x 1
        )
        self.head = nn.Conv2d(128, len(PROV), 1)

    def forward(self, x):
        return self.head(self.body(x)).flatten(1)


def to_x(imgs):
    return torch.from_numpy(np.stack(imgs).astype(np.float32))[:, None] * SCALE - MEAN


def make_val(path, n=3000, seed=515151):
    if os.path.exists(path):
        d = np.load(path)
        return d["x"], d["y"]
    g = Gen(seed)
    xs, ys = zip(*[g.synthetic() for _ in range(n)])
    x, y = np.stack(xs), np.array(ys)
    np.savez_compressed(path, x=x, y=y)
    return x, y


def accuracy(model, x, y, bs=500):
    model.eval()
    ok, conf_ok, conf_wrong = 0, 0, 0
    with torch.no_grad():
        for i in range(0, len(x), bs):
            p = F.softmax(model(to_x(list(x[i:i + bs]))), 1)
            c, k = p.max(1)
            t = torch.from_numpy(np.asarray(y[i:i + bs]))
            ok += int((k == t).sum())
            conf_ok += int(((k == t) & (c >= 0.8)).sum())
            conf_wrong += int(((k != t) & (c >= 0.8)).sum())
    model.train()
    return ok / len(x), conf_ok / len(x), conf_wrong / len(x)


def train(a):
    import real_swap
    import train as tr
    torch.set_num_threads(1)
    os.makedirs(a.ckpt_dir, exist_ok=True)
    os.makedirs(os.path.join(HERE, "runs"), exist_ok=True)
    vx, vy = make_val(os.path.join(HERE, "runs", "prov_val.npz"))
    real, pool, rv = [], [], None
    if a.real:
        real = tr.load_real_crops(a.real)
        order = random.Random(8080).sample(range(len(real)), len(real))
        held = [real[i] for i in order[:88]]  # the reader's held-out crops, held out here too
        real = [real[i] for i in order[88:]]
        pool, st = real_swap.build_pool(real, ps.GlyphBank(), random.Random(7), os.path.join(REPO, "vision", "models",
                                        "plate_reader.onnx"), tr.CHARSET, 12)
        print("province-swap pool", st, flush=True)
        g = Gen(1)
        rv = (np.stack([crop_region(im, np.float32([[0, 0], [im.shape[1], 0], [im.shape[1], im.shape[0]],
                                                    [0, im.shape[0]]]), len(t)) for im, t in held]),
              np.array([PIDX[t[0]] for _, t in held]))
    model = ProvinceNet()
    if a.init:
        model.load_state_dict(torch.load(a.init, map_location="cpu")["model"])
        print("initialised from", a.init, flush=True)
    opt = torch.optim.AdamW(model.parameters(), lr=a.lr, weight_decay=1e-4)
    dl = torch.utils.data.DataLoader(Stream(a.seed, real, pool, a.real_frac), batch_size=a.bs, num_workers=a.workers,
                                     collate_fn=lambda b: b, prefetch_factor=4 if a.workers else 2)
    stop = {"flag": False}
    signal.signal(signal.SIGTERM, lambda *_: stop.__setitem__("flag", True))
    t0, step, best, seen = time.time(), 0, -1.0, 0
    for batch in dl:
        imgs, ys = zip(*batch)
        frac = min(1.0, seen / a.decay_samples)
        for gr in opt.param_groups:
            gr["lr"] = a.lr_final + 0.5 * (a.lr - a.lr_final) * (1 + math.cos(math.pi * frac))
        loss = F.cross_entropy(model(to_x(imgs)), torch.tensor(ys), label_smoothing=0.05)
        opt.zero_grad()
        loss.backward()
        opt.step()
        step += 1
        seen += len(batch)
        if step % a.val_every == 0:
            acc, cok, cwr = accuracy(model, vx, vy)
            msg = "VAL step %d samples %d loss %.3f acc %.4f at0.8 %.4f wrong@0.8 %.4f" % (step, seen, loss.item(), acc, cok, cwr)
            if rv is not None:
                racc, rcok, rcwr = accuracy(model, *rv)
                msg += " | real held-out acc %.3f at0.8 %.3f wrong@0.8 %.3f" % (racc, rcok, rcwr)
            print(msg, "%.1f min" % ((time.time() - t0) / 60), flush=True)
            score = acc - 5 * cwr
            torch.save({"model": model.state_dict(), "step": step, "samples": seen}, os.path.join(a.ckpt_dir, "last.pt"))
            if score > best:
                best = score
                torch.save({"model": model.state_dict(), "step": step, "samples": seen,
                            "minutes": (time.time() - t0) / 60}, os.path.join(a.ckpt_dir, "best.pt"))
                print("  new best", flush=True)
        if stop["flag"] or time.time() - t0 > a.minutes * 60:
            break
    os._exit(0)


class Folded(nn.Module):
    def __init__(self, m):
        super().__init__()
        layers, mods = [], list(m.body)
        i = 0
        while i < len(mods):
            if isinstance(mods[i], nn.Conv2d) and i + 1 < len(mods) and isinstance(mods[i + 1], nn.BatchNorm2d):
                c, bn = mods[i], mods[i + 1]
                f = nn.Conv2d(c.in_channels, c.out_channels, c.kernel_size, c.stride, c.padding, bias=True)
                g = bn.weight.data / torch.sqrt(bn.running_var + bn.eps)
                f.weight.data = c.weight.data * g[:, None, None, None]
                f.bias.data = bn.bias.data - bn.running_mean * g
                layers.append(f)
                i += 2
            else:
                layers.append(mods[i])
                i += 1
        self.body = nn.Sequential(*layers)
        self.head = m.head

    def forward(self, x):
        return self.head(self.body(x)).squeeze(3).squeeze(2)


def export(a):
    ck = torch.load(a.ckpt, map_location="cpu")
    m = ProvinceNet()
    m.load_state_dict(ck["model"])
    m.eval()
    f = Folded(m).eval()
    x = torch.randn(4, 1, IN_H, IN_W)
    with torch.no_grad():
        assert (f(x) - m(x)).abs().max().item() < 1e-4
    os.makedirs(a.out_dir, exist_ok=True)
    onnx_path = os.path.join(a.out_dir, "plate_province.onnx")
    torch.onnx.export(f, torch.zeros(1, 1, IN_H, IN_W), onnx_path, opset_version=11, input_names=["input"],
                      output_names=["logits"], do_constant_folding=True)
    import onnx
    ops = sorted({n.op_type for n in onnx.load(onnx_path).graph.node})
    assert set(ops) <= {"Conv", "Relu", "MaxPool", "Squeeze"}, ops
    net = cv2.dnn.readNetFromONNX(onnx_path)
    # Reference I/O: generated crops (not real images), their logits by torch, checked against OpenCV here and by the
    # C++ test.
    os.makedirs(a.ref_dir, exist_ok=True)
    g = Gen(97531)
    refs = []
    worst = 0.0
    for i in range(4):
        img, y = g.synthetic()
        name = "ref_%d.png" % i
        cv2.imwrite(os.path.join(a.ref_dir, name), img)
        back = cv2.imread(os.path.join(a.ref_dir, name), cv2.IMREAD_GRAYSCALE)
        with torch.no_grad():
            t = f(to_x([back]))[0].numpy()
        net.setInput(cv2.dnn.blobFromImage(back, SCALE, (IN_W, IN_H), (127.5,)))
        o = net.forward().reshape(-1)
        worst = max(worst, float(np.abs(o - t).max()))
        refs.append({"file": name, "logits": [round(float(v), 5) for v in t], "label": PROV[y],
                     "argmax": PROV[int(t.argmax())]})
    assert worst < 1e-3, worst
    json.dump({"tolerance": 2e-3, "samples": refs}, open(os.path.join(a.ref_dir, "expected.json"), "w", encoding="utf-8"), ensure_ascii=False, indent=1)
    r7, r8 = region(7), region(8)
    meta = {
        "name": "plate_province", "version": a.version or time.strftime("%Y%m%d") + "-p%d" % ck["step"],
        "input": {"name": "input", "shape": [1, 1, IN_H, IN_W], "grey": True, "scale": SCALE, "mean": MEAN},
        "output": {"name": "logits", "shape": [1, len(PROV)]},
        "provinces": PROV,
        "region_7": {"x0": round(r7[0], 5), "x1": round(r7[1], 5), "y0": round(r7[2], 5), "y1": round(r7[3], 5)},
        "region_8": {"x0": round(r8[0], 5), "x1": round(r8[1], 5), "y0": round(r8[2], 5), "y1": round(r8[3], 5)},
        "trained_steps": ck["step"], "trained_samples": ck["samples"],
        "opencv_max_abs_diff": worst,
    }
    json.dump(meta, open(os.path.join(a.out_dir, "plate_province.json"), "w", encoding="utf-8"), ensure_ascii=False,
              indent=1)
    print("exported", onnx_path, ops, "max |opencv - torch|", worst)


def sheet(a):
    g = Gen(4242)
    tiles = [cv2.resize(g.synthetic()[0], (64, 96), interpolation=cv2.INTER_NEAREST) for _ in range(48)]
    cv2.imwrite(os.path.join(HERE, "runs", "prov_sheet.png"), np.vstack([np.hstack(tiles[i:i + 12]) for i in range(0, 48, 12)]))


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("cmd", choices=["train", "export", "sheet"])
    ap.add_argument("--minutes", type=float, default=25)
    ap.add_argument("--real", default=None)
    ap.add_argument("--init", default=None, help="start from this checkpoint's weights (a second stint)")
    ap.add_argument("--real-frac", type=float, default=0.2)
    ap.add_argument("--bs", type=int, default=96)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--lr-final", type=float, default=5e-5)
    ap.add_argument("--decay-samples", type=float, default=5e5)
    ap.add_argument("--val-every", type=int, default=300)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--ckpt-dir", default=os.path.join(HERE, "checkpoints", "province"))
    ap.add_argument("--ckpt", default=os.path.join(HERE, "checkpoints", "province", "best.pt"))
    ap.add_argument("--out-dir", default=os.path.join(REPO, "vision", "models"))
    ap.add_argument("--ref-dir", default=os.path.join(REPO, "tests", "data", "plates", "province_reference"))
    ap.add_argument("--version", default=None)
    a = ap.parse_args()
    {"train": train, "export": export, "sheet": sheet}[a.cmd](a)
