"""Train the plate reader: a small pure-convolution CTC network on synthetic plates only.

    nice -n 15 /usr/bin/python3 train.py --minutes 60          # starts, or resumes checkpoints/last.pt

Checkpoints: checkpoints/last.pt (every --ckpt-every steps and at exit), checkpoints/best.pt
(best exact match on the held-out synthetic validation set; the real evaluation sets are never
looked at here). A run is resumable at any time: kill it and start the same command again.
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
IN_W, IN_H = 96, 32
SCALE, MEAN = 1.0 / 127.5, 1.0          # x = v * SCALE - MEAN, v in 0..255 grey
CHARSET = ps.CHARSET
C = len(CHARSET)
IDX = {c: i for i, c in enumerate(CHARSET)}


def cbr(cin, cout, k=3, p=1):
    return [nn.Conv2d(cin, cout, k, padding=p, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]


class PlateReader(nn.Module):
    """1x32x96 -> C x 24 logits (CTC, class 0 = blank). Conv/BN/ReLU/MaxPool only."""

    def __init__(self, w=(16, 32, 64, 128, 160)):
        super().__init__()
        a, b, c, d, e = w
        self.body = nn.Sequential(
            *cbr(1, a), nn.MaxPool2d(2),                    # 16x48
            *cbr(a, b), nn.MaxPool2d(2),                    # 8x24
            *cbr(b, c), *cbr(c, c), nn.MaxPool2d((2, 1)),   # 4x24
            *cbr(c, d, (4, 3), (0, 1)),                     # 1x24: collapse height
            *cbr(d, e, (1, 5), (0, 2)),                     # horizontal context
        )
        self.head = nn.Conv2d(e, C, 1)

    def forward(self, x):
        return self.head(self.body(x)).squeeze(2)          # N x C x T


T_STEPS = 24
FREEZE_BN = {"on": False}


def encode(text):
    return [IDX[c] for c in text]


def greedy(logits):
    """logits: C x T numpy -> (text, per-char max softmax probs along the greedy path)."""
    z = logits - logits.max(0, keepdims=True)
    p = np.exp(z)
    p /= p.sum(0, keepdims=True)
    best = p.argmax(0)
    out, confs, prev = [], [], 0
    for t, k in enumerate(best):
        if k != 0 and k != prev:
            out.append(CHARSET[k])
            confs.append(float(p[k, t]))
        elif k != 0 and k == prev:
            confs[-1] = max(confs[-1], float(p[k, t]))
        prev = k
    return "".join(out), confs


def load_real_crops(folder):
    """The `train` part of lprnet_crops (split.csv): (BGR crop, text) pairs. The `eval` part is never read here."""
    if not folder:
        return []
    out = []
    with open(os.path.join(folder, "split.csv"), encoding="utf-8") as f:
        next(f)
        for line in f:
            name, part = line.strip().rsplit(",", 1)
            if part != "train":
                continue
            text = os.path.splitext(name)[0]
            if any(c not in IDX for c in text):
                continue
            im = cv2.imdecode(np.fromfile(os.path.join(folder, name), np.uint8), cv2.IMREAD_COLOR)
            if im is not None:
                out.append((im, text))
    return out


def real_sample(im, text, rng):
    """A real crop (a tight box around the plate) as the finder would hand it over: margins from a little inside the
    plate to the reader's wide margins, a small shift and aspect change, then the generator's camera effects."""
    h, w = im.shape[:2]
    mx = [rng.uniform(-0.02, 0.10) for _ in range(2)]
    my = [rng.uniform(-0.04, 0.18) for _ in range(2)]
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    jit = lambda a: rng.uniform(-a, a)
    dst = np.float32([[mx[0] + jit(0.01), my[0] + jit(0.03)], [1 + mx[0] + jit(0.01), my[0] + jit(0.03)],
                      [1 + mx[0] + jit(0.01), 1 + my[0] + jit(0.03)], [mx[0] + jit(0.01), 1 + my[0] + jit(0.03)]])
    ow, oh = 1 + mx[0] + mx[1], 1 + my[0] + my[1]
    W, H = 2 * IN_W, 2 * IN_H
    dst *= np.float32([W / ow, H / oh])
    M = cv2.getPerspectiveTransform(src, dst)
    img = cv2.warpPerspective(im, M, (W, H), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE).astype(np.float32)
    img = (img - 128) * rng.uniform(0.7, 1.2) + 128 + rng.uniform(-30, 30)
    if rng.random() < 0.3:
        img = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.4, 1.2))
    nz = np.empty(img.shape, np.float32)
    cv2.randn(nz, 0.0, rng.uniform(0, 8))
    img = np.clip(img + nz, 0, 255).astype(np.uint8)
    grey = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
    return cv2.resize(grey, (IN_W, IN_H), interpolation=cv2.INTER_AREA if rng.random() < 0.5 else cv2.INTER_LINEAR)


class SynthStream(torch.utils.data.IterableDataset):
    """Generated plates, and with probability real_frac a real `train` crop of lprnet_crops; of those, swap_frac come
    from the pool of province-swapped crops (real_swap.py) instead of the crops as they are."""

    def __init__(self, seed, mild_frac=0.0, real=None, real_frac=0.0, pool=None, swap_frac=0.0):
        self.seed = seed
        self.mild_frac = mild_frac
        self.real = real or []
        self.real_frac = real_frac if self.real else 0.0
        self.pool = pool or []
        self.swap_frac = swap_frac if self.pool else 0.0

    def __iter__(self):
        info = torch.utils.data.get_worker_info()
        wid = info.id if info else 0
        s = ps.Synth(IN_W, IN_H, seed=self.seed * 1000 + wid)
        while True:
            if s.rng.random() < self.real_frac:
                if s.rng.random() < self.swap_frac:
                    im, text = self.pool[s.rng.randrange(len(self.pool))]
                else:
                    im, text = self.real[s.rng.randrange(len(self.real))]
                yield real_sample(im, text, s.rng), text
                continue
            g, t, k = s.sample(mild=s.rng.random() < self.mild_frac)
            yield g, t


def init_from_onnx(model, path):
    """Weights from an exported (BN-folded) model: each conv takes the folded weights and its BN becomes the identity
    plus the folded bias (mean 0, var 1 - eps, weight 1). Train with --freeze-bn so that the BN statistics stay so."""
    import onnx
    from onnx import numpy_helper
    g = onnx.load(path).graph
    init = {t.name: numpy_helper.to_array(t) for t in g.initializer}
    convs = [n for n in g.node if n.op_type == "Conv"]
    mods = [m for m in model.modules() if isinstance(m, (nn.Conv2d, nn.BatchNorm2d))]
    pairs = []
    i = 0
    while i < len(mods):
        if isinstance(mods[i], nn.Conv2d) and i + 1 < len(mods) and isinstance(mods[i + 1], nn.BatchNorm2d):
            pairs.append((mods[i], mods[i + 1]))
            i += 2
        else:
            pairs.append((mods[i], None))
            i += 1
    assert len(pairs) == len(convs), (len(pairs), len(convs))
    for (conv, bn), node in zip(pairs, convs):
        w = torch.from_numpy(init[node.input[1]].copy())
        b = torch.from_numpy(init[node.input[2]].copy())
        assert conv.weight.shape == w.shape, (conv.weight.shape, w.shape)
        conv.weight.data.copy_(w)
        if bn is None:
            conv.bias.data.copy_(b)
        else:
            bn.weight.data.fill_(1.0)
            bn.bias.data.copy_(b)
            bn.running_mean.zero_()
            bn.running_var.fill_(1.0 - bn.eps)


def freeze_bn(model):
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.eval()


def collate_raw(batch):
    return np.stack([b[0] for b in batch]), [b[1] for b in batch]


def to_batch(imgs_u8, texts):
    x = torch.from_numpy(imgs_u8.astype(np.float32))[:, None] * SCALE - MEAN
    tg = [encode(t) for t in texts]
    lens = torch.tensor([len(t) for t in tg], dtype=torch.long)
    flat = torch.tensor([i for t in tg for i in t], dtype=torch.long)
    return x, flat, lens


def make_val(path, n_per_kind=400, seed=424242, mild=False):
    """Held-out synthetic set (different seed, same distribution), per plate kind. mild: gate-like
    conditions (Synth.sample(mild=True)) instead of the full training augmentation."""
    if os.path.exists(path):
        d = np.load(path, allow_pickle=True)
        return d["x"], list(d["t"]), list(d["k"])
    s = ps.Synth(IN_W, IN_H, seed=seed)
    xs, ts, ks = [], [], []
    want = {"blue": n_per_kind, "yellow": n_per_kind, "green_small": n_per_kind, "green_large": n_per_kind // 2}
    got = {k: 0 for k in want}
    other = 0
    while any(got[k] < want[k] for k in want) or other < n_per_kind // 2:
        text, kind = ps.random_plate(s.rng)
        if kind in want:
            if got[kind] >= want[kind]:
                continue
            got[kind] += 1
        else:
            if other >= n_per_kind // 2:
                continue
            other += 1
        g, t, k = s.sample(text, kind, mild=mild)
        xs.append(g); ts.append(t); ks.append(k)
    np.savez_compressed(path, x=np.stack(xs), t=np.array(ts, dtype=object), k=np.array(ks, dtype=object))
    return np.stack(xs), ts, ks


def evaluate_arrays(model, x_u8, texts, kinds=None, bs=256):
    model.eval()
    res = {"n": 0, "exact": 0}
    per = {}
    with torch.no_grad():
        for i in range(0, len(x_u8), bs):
            x = torch.from_numpy(x_u8[i:i + bs].astype(np.float32))[:, None] * SCALE - MEAN
            out = model(x).numpy()
            for j in range(out.shape[0]):
                txt, _ = greedy(out[j])
                ok = txt == texts[i + j]
                res["n"] += 1
                res["exact"] += ok
                if kinds is not None:
                    k = kinds[i + j]
                    k = "green" if k.startswith("green") else k
                    pk = per.setdefault(k, [0, 0])
                    pk[0] += ok; pk[1] += 1
    model.train()
    if FREEZE_BN["on"]:
        freeze_bn(model)
    res["acc"] = res["exact"] / max(1, res["n"])
    res["per_kind"] = {k: round(v[0] / v[1], 4) for k, v in per.items()}
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=60)
    ap.add_argument("--bs", type=int, default=64, help="batch size (fresh + replayed)")
    ap.add_argument("--replay", type=float, default=0.5,
                    help="fraction of each batch drawn from a ring buffer of recent samples (the generator is the "
                         "bottleneck on a shared 2-core box)")
    ap.add_argument("--replay-size", type=int, default=30000)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--lr-final", type=float, default=5e-5)
    ap.add_argument("--decay-samples", type=float, default=3.0e6, help="cosine decay length (samples)")
    ap.add_argument("--restart", action="store_true",
                    help="warm restart: the cosine starts again at --lr from the samples seen so far (resumed runs)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--ckpt-dir", default=os.path.join(HERE, "checkpoints"))
    ap.add_argument("--val-every", type=int, default=1000, help="steps")
    ap.add_argument("--ckpt-every", type=int, default=250, help="steps")
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--mild-frac", type=float, default=0.0,
                    help="fraction of generated samples drawn under gate-like conditions (Synth.sample(mild=True))")
    ap.add_argument("--select", choices=("full", "mean"), default="full",
                    help="checkpoint choice: the held-out set with the training augmentation (full), or the mean of "
                         "it and a held-out gate-like synthetic set (mean)")
    ap.add_argument("--reset-best", action="store_true",
                    help="forget the best score so far (use when --select changes what is compared)")
    ap.add_argument("--ema", type=float, default=0.999, help="decay of an exponential moving average of the weights")
    ap.add_argument("--real", default=None,
                    help="the lprnet_crops folder: its split.csv `train` crops are mixed into training (never `eval`)")
    ap.add_argument("--real-frac", type=float, default=0.1, help="fraction of fresh samples that are real crops")
    ap.add_argument("--real-val", type=int, default=88,
                    help="train crops held out of training for the checkpoint choice (--select mean adds them)")
    ap.add_argument("--swap-frac", type=float, default=0.0,
                    help="share of the real samples that are province-swapped crops (real_swap.py), so that the real "
                         "crops do not teach the reader that a real plate is a 皖 plate")
    ap.add_argument("--swap-model", default=None,
                    help="the exported reader that checks each swap (default: --init-onnx)")
    ap.add_argument("--swap-per-crop", type=int, default=12, help="swaps drawn per crop for the pool")
    ap.add_argument("--init-onnx", default=None,
                    help="start from an exported model (no checkpoint); use with --freeze-bn")
    ap.add_argument("--freeze-bn", action="store_true", help="keep BatchNorm statistics fixed (fine-tuning)")
    a = ap.parse_args()

    torch.set_num_threads(a.threads)
    os.makedirs(a.ckpt_dir, exist_ok=True)
    runs = os.path.join(HERE, "runs")
    os.makedirs(runs, exist_ok=True)
    vx, vt, vk = make_val(os.path.join(runs, "val_synth.npz"))
    print("val set", len(vt), flush=True)
    if a.select == "mean":
        gx, gt, gk = make_val(os.path.join(runs, "val_gate.npz"), seed=434343, mild=True)
        print("gate-like val set", len(gt), flush=True)

    model = PlateReader()
    if a.init_onnx and not os.path.exists(os.path.join(a.ckpt_dir, "last.pt")):
        init_from_onnx(model, a.init_onnx)
        # The exported reader may carry a prior fix (export.py --prior-fix); training starts from the network as trained.
        meta = os.path.splitext(a.init_onnx)[0] + ".json"
        if os.path.exists(meta):
            fix = json.load(open(meta, encoding="utf-8")).get("province_prior_fix")
            if fix:
                with torch.no_grad():
                    model.head.bias[IDX[fix["char"]]] -= fix["logit_delta"]
                print("prior fix undone:", fix, flush=True)
        print("initialised from", a.init_onnx, flush=True)
    opt = torch.optim.Adam(model.parameters(), lr=a.lr)
    st = {"step": 0, "samples": 0, "fresh_samples": 0, "train_seconds": 0.0, "best": -1.0, "best_step": 0, "history": [], "stream": 0}
    last = os.path.join(a.ckpt_dir, "last.pt")
    if os.path.exists(last):
        ck = torch.load(last)
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["opt"])
        st = ck["state"]
        print("resumed at step %d, %d samples, %.1f min" % (st["step"], st["samples"], st["train_seconds"] / 60), flush=True)
    ema = {k: v.detach().clone() for k, v in model.state_dict().items()}
    if os.path.exists(last) and "ema" in ck:
        ema = ck["ema"]
    if a.reset_best:
        st["best"] = -1.0
    if a.restart or "sched_start" not in st:
        st["sched_start"] = st["samples"] if a.restart else 0
    st["stream"] += 1  # new generator seed on every (re)start: never replay the same stream
    seed = a.seed if a.seed is not None else 1000 + st["stream"]
    print("params", sum(p.numel() for p in model.parameters()), flush=True)

    n_fresh = max(1, int(round(a.bs * (1 - a.replay))))
    real = load_real_crops(a.real)
    rvx = rvt = None
    if real and a.real_val > 0:
        # A fixed part of the `train` crops is held out of training to choose the checkpoint on real plates too
        # (the `eval` part stays unseen).
        order = random.Random(8080).sample(range(len(real)), len(real))
        held = [real[i] for i in order[:a.real_val]]
        real = [real[i] for i in order[a.real_val:]]
        rvx = np.stack([cv2.resize(cv2.cvtColor(im, cv2.COLOR_BGR2GRAY), (IN_W, IN_H), interpolation=cv2.INTER_LINEAR)
                        for im, _ in held])
        rvt = [t for _, t in held]
    print("real crops", len(real), "held out for the checkpoint choice", 0 if rvt is None else len(rvt), flush=True)
    pool = []
    if real and a.swap_frac > 0:
        import real_swap
        pool, pst = real_swap.build_pool(real, ps.GlyphBank(), random.Random(seed), a.swap_model or a.init_onnx, CHARSET,
                                         a.swap_per_crop)
        print("province-swap pool", pst, flush=True)
    dl = torch.utils.data.DataLoader(SynthStream(seed, a.mild_frac, real, a.real_frac, pool, a.swap_frac), batch_size=n_fresh, num_workers=a.workers,
                                     collate_fn=collate_raw, prefetch_factor=8 if a.workers else 2,
                                     persistent_workers=bool(a.workers))
    ctc = nn.CTCLoss(blank=0, zero_infinity=True)

    def save(path, weights=None):
        tmp = path + ".tmp"
        torch.save({"model": weights if weights is not None else model.state_dict(), "ema": ema,
                    "opt": opt.state_dict(), "state": st,
                    "config": {"in_w": IN_W, "in_h": IN_H, "charset": CHARSET}}, tmp)
        os.replace(tmp, path)

    stop = {"flag": False}
    signal.signal(signal.SIGTERM, lambda *_: stop.__setitem__("flag", True))
    t_start = time.time()
    t_last = time.time()
    run_loss = None
    model.train()
    if a.freeze_bn:
        FREEZE_BN["on"] = True
        freeze_bn(model)
    buf = np.zeros((a.replay_size, IN_H, IN_W), np.uint8)
    buf_t = [""] * a.replay_size
    nbuf = ptr = 0
    nrng = np.random.default_rng(seed)
    for fx, ft in dl:
        st.setdefault("fresh_samples", 0)
        st["fresh_samples"] += len(ft)
        for g, t in zip(fx, ft):
            buf[ptr] = g
            buf_t[ptr] = t
            ptr = (ptr + 1) % a.replay_size
            nbuf = min(a.replay_size, nbuf + 1)
        n_rep = a.bs - len(ft) if nbuf >= 20 * a.bs else 0
        if n_rep > 0:
            ri = nrng.integers(0, nbuf, n_rep)
            fx = np.concatenate([fx, buf[ri]])
            ft = list(ft) + [buf_t[i] for i in ri]
        x, flat, lens = to_batch(fx, ft)
        frac = min(1.0, (st["samples"] - st["sched_start"]) / a.decay_samples)
        lr = a.lr_final + 0.5 * (a.lr - a.lr_final) * (1 + math.cos(math.pi * frac))
        for g in opt.param_groups:
            g["lr"] = lr
        logits = model(x)                                   # N C T
        lp = F.log_softmax(logits, 1).permute(2, 0, 1)      # T N C
        il = torch.full((x.shape[0],), lp.shape[0], dtype=torch.long)
        loss = ctc(lp, flat, il, lens)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        opt.step()
        with torch.no_grad():
            for k, v in model.state_dict().items():
                if v.dtype.is_floating_point:
                    ema[k].mul_(a.ema).add_(v.detach(), alpha=1 - a.ema)
                else:
                    ema[k].copy_(v)
        now = time.time()
        st["train_seconds"] += now - t_last
        t_last = now
        st["step"] += 1
        st["samples"] += x.shape[0]
        run_loss = loss.item() if run_loss is None else 0.98 * run_loss + 0.02 * loss.item()
        if st["step"] % 100 == 0:
            print("step %d samples %d (fresh %d) loss %.4f lr %.2e %.0f samples/s (%.1f min total)" % (
                st["step"], st["samples"], st["fresh_samples"], run_loss, lr,
                st["samples"] / max(1.0, st["train_seconds"]), st["train_seconds"] / 60), flush=True)
        if st["step"] % a.val_every == 0:
            r = evaluate_arrays(model, vx, vt, vk)
            raw_sd = {k: v.clone() for k, v in model.state_dict().items()}
            model.load_state_dict(ema)
            re = evaluate_arrays(model, vx, vt, vk)
            if a.select == "mean":
                r_g = evaluate_arrays(model, gx, gt, gk)["acc"]
                model.load_state_dict(raw_sd)
                g_raw = evaluate_arrays(model, gx, gt, gk)["acc"]
                print("VAL gate-like step %d acc %.4f ema %.4f" % (st["step"], g_raw, r_g), flush=True)
                r["acc_full"], re["acc_full"] = r["acc"], re["acc"]
                if rvt is not None:
                    rv_raw = evaluate_arrays(model, rvx, rvt)["acc"]
                    model.load_state_dict(ema)
                    rv_ema = evaluate_arrays(model, rvx, rvt)["acc"]
                    print("VAL real held-out step %d acc %.4f ema %.4f" % (st["step"], rv_raw, rv_ema), flush=True)
                    r["acc"], re["acc"] = (r["acc"] + g_raw + rv_raw) / 3, (re["acc"] + r_g + rv_ema) / 3
                else:
                    r["acc"], re["acc"] = (r["acc"] + g_raw) / 2, (re["acc"] + r_g) / 2
            model.load_state_dict(raw_sd)
            st["history"].append({"step": st["step"], "samples": st["samples"], "val": r["acc"], "val_ema": re["acc"],
                                  "per_kind": r["per_kind"], "per_kind_ema": re["per_kind"],
                                  "minutes": round(st["train_seconds"] / 60, 1), "loss": round(run_loss, 4)})
            print("VAL step %d samples %d acc %.4f ema %.4f %s ema %s" % (st["step"], st["samples"], r["acc"], re["acc"],
                  json.dumps(r["per_kind"]), json.dumps(re["per_kind"])), flush=True)
            for acc, w, tag in ((r["acc"], None, "raw"), (re["acc"], ema, "ema")):
                if acc > st["best"]:
                    st["best"], st["best_step"], st["best_kind"] = acc, st["step"], tag
                    save(os.path.join(a.ckpt_dir, "best.pt"), w)
                    print("  new best (%s)" % tag, flush=True)
            t_last = time.time()
        if st["step"] % a.ckpt_every == 0:
            save(last)
        if stop["flag"] or (time.time() - t_start) > a.minutes * 60:
            break
    save(last)
    print("saved; step %d samples %d best %.4f @ %d" % (st["step"], st["samples"], st["best"], st["best_step"]), flush=True)
    import multiprocessing
    for p in multiprocessing.active_children():  # the generator worker: do not leave it orphaned
        p.terminate()
    os._exit(0)


if __name__ == "__main__":
    main()
