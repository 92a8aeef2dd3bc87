"""Train, validate and export the plate detector: a small fully-convolutional network that marks plate pixels.

    nice -n 10 /usr/bin/python3 detector.py train --minutes 50 --crops ../../../shared/data/plates/lprnet_crops
    /usr/bin/python3 detector.py sheet                 # runs/det_sheet.png: training tiles with their targets
    /usr/bin/python3 detector.py export                # vision/models/plate_detector.{onnx,json} + reference I/O

The network (PlateDetector) takes a BGR image of any size that is a multiple of 16 and returns one channel of
logits at a quarter of the input's resolution: "this pixel is on a plate". The C++ side (vision/plate_detector.cpp)
thresholds the map, takes each blob's rotated rectangle as a plate outline and hands it to the reader, beside the
classical colour and edge proposals. A mask rather than boxes: it needs no anchors, no NMS, and the blob's
rotated rectangle is the rectifying step.

Training data is made on the fly, never from the evaluation scenes: plates drawn by plate_synth.py (every kind and
colour) and, when --crops is given, the `train` part of lprnet_crops (real plates, Apache-2.0; the split file keeps
the `eval` part out), warped in perspective at 18-200 px wide onto backgrounds that are random crops of real photos
from Debian packages (opencv-doc's sample images and scene-text photos, gnome-backgrounds; the one sample with a
plate is left out) or procedural
clutter, most of them inside a drawn car front (body, grille, headlights, bumper, plate bezel), with plate-like
distractors (signs with text), and camera effects (blur, noise, JPEG, low light, glare, IR monochrome).
Checkpoints are chosen on a held-out generated set (recall at IoU 0.5 and false blobs per tile); the real scenes
are only ever measured by the C++ bench.
"""
import argparse
import glob
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
TILE = 256
STRIDE = 4
SCALE, MEAN = 1.0 / 255.0, 0.5  # x = v * SCALE - MEAN per BGR channel
THRESH = 0.5

# ----------------------------------------------------------------------------------------------------------------
# Model


def cbr(cin, cout, k=3, s=1, d=1):
    p = d * (k // 2)
    return [nn.Conv2d(cin, cout, k, s, p, dilation=d, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]


class PlateDetector(nn.Module):
    """BGR N x 3 x H x W (H, W multiples of 16) -> N x 1 x H/4 x W/4 plate logits. Conv/BN/ReLU, ConvTranspose and
    Concat only (OpenCV 4.6 dnn)."""

    def __init__(self):
        super().__init__()
        self.s4 = nn.Sequential(*cbr(3, 12, s=2), *cbr(12, 20, s=2), *cbr(20, 20))          # 1/4
        self.s8 = nn.Sequential(*cbr(20, 32, s=2), *cbr(32, 32))                            # 1/8
        self.s16 = nn.Sequential(*cbr(32, 64, s=2), *cbr(64, 64), *cbr(64, 64, d=2))        # 1/16
        self.up16 = nn.Sequential(nn.ConvTranspose2d(64, 16, 4, 4, bias=False), nn.BatchNorm2d(16), nn.ReLU(inplace=True))
        self.up8 = nn.Sequential(nn.ConvTranspose2d(32, 16, 2, 2, bias=False), nn.BatchNorm2d(16), nn.ReLU(inplace=True))
        self.lat4 = nn.Sequential(*cbr(20, 16, k=1))
        self.head = nn.Sequential(*cbr(48, 24, k=3), nn.Conv2d(24, 1, 1))

    def forward(self, x):
        f4 = self.s4(x)
        f8 = self.s8(f4)
        f16 = self.s16(f8)
        return self.head(torch.cat([self.lat4(f4), self.up8(f8), self.up16(f16)], 1))


# ----------------------------------------------------------------------------------------------------------------
# Data

BG_GLOBS = [
    "/usr/share/doc/opencv-doc/examples/data/*.jpg", "/usr/share/doc/opencv-doc/examples/data/*.png",
    "/usr/share/doc/opencv-doc/examples/text/*.jpg", "/usr/share/doc/opencv-doc/examples/text/*.png",
    "/usr/share/backgrounds/gnome/*.webp",
]
# Photos that show a plate or that are not photos (charts, text pages, masks) are left out.
BG_SKIP = ("plate", "licen", "car", "text", "chessboard", "chart", "board", "mask", "left", "right", "aloe",
           "pic", "stuff", "horizon", "logo", "gradient", "mnist", "digits", "alphabet", "letter")


def load_backgrounds(max_side=900):
    out = []
    for g in BG_GLOBS:
        for p in sorted(glob.glob(g)):
            name = os.path.basename(p).lower()
            if any(s in name for s in BG_SKIP):
                continue
            im = cv2.imread(p, cv2.IMREAD_COLOR)
            if im is None or min(im.shape[:2]) < 128 or im.std() < 20:
                continue
            s = max_side / max(im.shape[:2])
            if s < 1:
                im = cv2.resize(im, None, fx=s, fy=s, interpolation=cv2.INTER_AREA)
            out.append(im)
    return out


def load_crops(folder):
    """The `train` part of lprnet_crops: BGR plate crops (94 x 24, a tight box around the plate)."""
    if not folder:
        return []
    split = os.path.join(folder, "split.csv")
    out = []
    with open(split, encoding="utf-8") as f:
        next(f)
        for line in f:
            name, part = line.strip().rsplit(",", 1)
            if part != "train":
                continue
            im = cv2.imdecode(np.fromfile(os.path.join(folder, name), np.uint8), cv2.IMREAD_COLOR)
            if im is not None:
                out.append(im)
    return out


CAR_COLOURS = [(200, 200, 200), (235, 235, 235), (30, 30, 30), (120, 120, 125), (40, 40, 160), (140, 70, 30),
               (60, 90, 40), (170, 170, 160), (20, 30, 60), (90, 150, 200), (245, 245, 250), (60, 60, 60)]


def jit(c, rng, a):
    return [float(np.clip(v + rng.uniform(-a, a), 0, 255)) for v in c]


def random_text_sign(rng, bank):
    """A sign or sticker with characters on it: a distractor that is not a plate (other aspect or more lines)."""
    lines = rng.choice([1, 1, 2, 3])
    n = rng.randint(2, 9)
    cw = 45.0
    bgc, fgc = rng.choice([((170, 60, 20), (240, 240, 240)), ((240, 240, 240), (20, 20, 20)), ((30, 140, 30), (240, 240, 240)),
                           ((20, 20, 180), (240, 240, 240)), ((20, 180, 235), (10, 10, 10)), ((20, 20, 20), (230, 230, 230))])
    chars = ps.PROVINCES + ps.DIGITS + ps.LETTERS
    gh = int(round(90 * ps.PPM))
    gw = int(round(cw * ps.PPM))
    w = n * (gw + 6) + 12
    h = lines * (gh + 8) + 10
    if lines == 1 and rng.random() < 0.6:  # one line: keep it off the plate's aspect
        w = int(w * rng.choice([0.45, 1.8, 2.4]))
    img = np.full((h, max(w, gw + 12), 3), jit(bgc, rng, 25), np.float32)
    mask = np.zeros(img.shape[:2], np.float32)
    for li in range(lines):
        for i in range(n):
            g = bank.get(rng.choice(chars), cw, rng)
            y0, x0 = 5 + li * (gh + 8), 6 + i * (gw + 6)
            if x0 + g.shape[1] > mask.shape[1] or y0 + g.shape[0] > mask.shape[0]:
                continue
            np.maximum(mask[y0:y0 + g.shape[0], x0:x0 + g.shape[1]], g, out=mask[y0:y0 + g.shape[0], x0:x0 + g.shape[1]])
    m = mask[:, :, None]
    img = img * (1 - m) + np.float32(jit(fgc, rng, 20)) * m
    return img


def warp_onto(dst, src, quad, alpha=None):
    """Composite src (float32 BGR) onto dst at the quad (TL TR BR BL, dst pixels)."""
    h, w = src.shape[:2]
    M = cv2.getPerspectiveTransform(np.float32([[0, 0], [w, 0], [w, h], [0, h]]), np.float32(quad))
    H, W = dst.shape[:2]
    warped = cv2.warpPerspective(src, M, (W, H), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
    a = cv2.warpPerspective(alpha if alpha is not None else np.ones((h, w), np.float32), M, (W, H), flags=cv2.INTER_LINEAR)
    dst *= (1 - a[:, :, None])
    dst += warped * a[:, :, None]


def plate_quad(cx, cy, pw, ph, rng):
    """A plate's corners with rotation, yaw and pitch (TL TR BR BL)."""
    ang = math.radians(rng.gauss(0, 5) if rng.random() < 0.8 else rng.uniform(-20, 20))
    yaw = rng.uniform(-0.25, 0.25) if rng.random() < 0.6 else 0.0
    shear = rng.uniform(-0.2, 0.2) if rng.random() < 0.4 else 0.0
    q = np.float32([[-0.5, -0.5], [0.5, -0.5], [0.5, 0.5], [-0.5, 0.5]])
    q[:, 1] *= 1 + yaw * q[:, 0] * 2
    q[:, 0] += shear * q[:, 1]
    q *= np.float32([pw, ph])
    c, s = math.cos(ang), math.sin(ang)
    q = q @ np.float32([[c, s], [-s, c]])
    return q + np.float32([cx, cy])


class Composer:
    def __init__(self, seed, crops_dir=None, tile=TILE):
        self.rng = random.Random(seed)
        self.nrng = np.random.default_rng(seed)
        self.bank = ps.GlyphBank()
        self.bgs = load_backgrounds()
        self.crops = load_crops(crops_dir)
        self.tile = tile

    def background(self):
        rng, T = self.rng, self.tile
        if self.bgs and rng.random() < 0.75:
            im = self.bgs[rng.randrange(len(self.bgs))]
            s = rng.uniform(0.4, 1.6) * T / min(im.shape[:2]) * rng.uniform(1.0, 2.5)
            s = max(s, (T + 2) / min(im.shape[:2]))
            im = cv2.resize(im, None, fx=s, fy=s, interpolation=cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR)
            y = rng.randrange(im.shape[0] - T + 1)
            x = rng.randrange(im.shape[1] - T + 1)
            bg = im[y:y + T, x:x + T].astype(np.float32)
            if rng.random() < 0.5:
                bg = bg[:, ::-1].copy()
            return bg
        bg = ps.random_background(T, T, rng)
        for _ in range(rng.randint(0, 12)):  # clutter: boxes, lines, blobs
            c = jit((rng.uniform(0, 255),) * 3, rng, 40)
            p1 = (rng.randrange(T), rng.randrange(T))
            k = rng.random()
            if k < 0.4:
                cv2.rectangle(bg, p1, (p1[0] + rng.randint(5, 120), p1[1] + rng.randint(3, 60)), c, rng.choice([-1, 1, 2]))
            elif k < 0.7:
                cv2.line(bg, p1, (rng.randrange(T), rng.randrange(T)), c, rng.randint(1, 6))
            else:
                cv2.circle(bg, p1, rng.randint(3, 40), c, rng.choice([-1, 2]))
        return bg

    def plate_image(self):
        rng = self.rng
        if self.crops and rng.random() < 0.3:
            im = self.crops[rng.randrange(len(self.crops))].astype(np.float32)
            im = cv2.resize(im, (220, 62), interpolation=cv2.INTER_CUBIC)
            # the crop has a thin margin around the plate: the target is the plate inside it
            inner = (0.03, 0.08)
            return im, inner
        text, kind = ps.random_plate(rng)
        img = ps.draw_plate(text, kind, self.bank, rng).astype(np.float32)
        if rng.random() < 0.4:
            img = Synth_surface(img, rng)
        return img, (0.0, 0.0)

    def car_front(self, img, cx, cy, pw, ph, ang, colours=CAR_COLOURS):
        """Draws a car front around a plate centred at (cx, cy) of width pw: body, grille, lights, bumper."""
        rng = self.rng
        col = jit(rng.choice(colours), rng, 20)
        bw, bh = pw * rng.uniform(3.2, 5.5), pw * rng.uniform(1.4, 2.6)
        top = cy - bh * rng.uniform(0.55, 0.8)
        body = np.float32([[cx - bw / 2, top], [cx + bw / 2, top], [cx + bw / 2, top + bh], [cx - bw / 2, top + bh]])
        c, s = math.cos(ang), math.sin(ang)
        R = lambda pts: ((np.float32(pts) - [cx, cy]) @ np.float32([[c, s], [-s, c]]) + [cx, cy]).astype(np.int32)
        cv2.fillConvexPoly(img, R(body), col, cv2.LINE_AA)
        # shading: a vertical gradient over the body
        if rng.random() < 0.7:
            g = np.zeros(img.shape[:2], np.float32)
            cv2.fillConvexPoly(g, R(body), 1.0)
            yy = np.linspace(-1, 1, img.shape[0], dtype=np.float32)[:, None] * rng.uniform(-40, 40)
            img += (g * yy)[:, :, None]
        # grille above the plate
        gy0, gy1 = cy - ph * rng.uniform(2.0, 3.5), cy - ph * rng.uniform(0.8, 1.2)
        gw = pw * rng.uniform(1.2, 2.5)
        gcol = jit((rng.uniform(10, 60),) * 3, rng, 10)
        cv2.fillConvexPoly(img, R([[cx - gw / 2, gy0], [cx + gw / 2, gy0], [cx + gw / 2, gy1], [cx - gw / 2, gy1]]), gcol, cv2.LINE_AA)
        if rng.random() < 0.7:  # chrome or bright bars: the "bright grille" next to a plate
            nb = rng.randint(2, 7)
            bright = rng.uniform(150, 255)
            for i in range(nb):
                y = gy0 + (gy1 - gy0) * (i + 0.5) / nb
                cv2.line(img, tuple(R([[cx - gw / 2, y]])[0]), tuple(R([[cx + gw / 2, y]])[0]), (bright,) * 3,
                         max(1, int(ph * rng.uniform(0.05, 0.2))), cv2.LINE_AA)
        # headlights
        if rng.random() < 0.8:
            lw, lh = pw * rng.uniform(0.5, 1.0), ph * rng.uniform(0.6, 1.5)
            ly = gy0 + (gy1 - gy0) * rng.uniform(0.2, 0.8)
            on = rng.random() < 0.35
            lc = (255, 255, 255) if on else jit((200, 200, 200), rng, 50)
            for sx in (-1, 1):
                lx = cx + sx * (gw / 2 + lw * rng.uniform(0.6, 1.2))
                centre = tuple(int(v) for v in R([[lx, ly]])[0])
                cv2.ellipse(img, centre, (int(lw / 2), int(lh / 2)), math.degrees(ang) + rng.uniform(-15, 15), 0, 360, lc, -1,
                            cv2.LINE_AA)
                if on:  # bloom
                    blob = np.zeros(img.shape[:2], np.float32)
                    cv2.circle(blob, centre, int(lw * 0.7), 1.0, -1)
                    blob = cv2.GaussianBlur(blob, (0, 0), max(1.0, lw * 0.4))
                    img += blob[:, :, None] * rng.uniform(60, 200)
        # bumper edges
        for _ in range(rng.randint(0, 3)):
            y = cy + ph * rng.uniform(0.7, 2.0)
            cc = jit((rng.uniform(0, 255),) * 3, rng, 10)
            cv2.line(img, tuple(R([[cx - bw / 2, y]])[0]), tuple(R([[cx + bw / 2, y]])[0]), cc, rng.randint(1, max(1, int(ph * 0.3))))
        # a logo
        if rng.random() < 0.4:
            cv2.circle(img, tuple(int(v) for v in R([[cx, (gy0 + gy1) / 2]])[0]), max(2, int(ph * rng.uniform(0.2, 0.5))),
                       (rng.uniform(150, 255),) * 3, rng.choice([-1, 2]), cv2.LINE_AA)

    def sample(self):
        """(BGR uint8 tile, float32 target at 1/STRIDE, list of plate quads in tile pixels)."""
        rng, T = self.rng, self.tile
        img = self.background()
        target = np.zeros((T, T), np.float32)
        quads = []
        r = rng.random()
        n = 0 if r < 0.12 else 1 if r < 0.85 else rng.randint(2, 3)
        for k in range(rng.randint(0, 2) if rng.random() < 0.35 else 0):  # distractor signs
            sign = random_text_sign(rng, self.bank)
            sw = rng.uniform(30, 160)
            sh = sw * sign.shape[0] / sign.shape[1]
            q = plate_quad(rng.uniform(0, T), rng.uniform(0, T), sw, sh, rng)
            warp_onto(img, sign, q)
        for i in range(n):
            plate, (ix, iy) = self.plate_image()
            ph_img, pw_img = plate.shape[:2]
            # plate width in tile pixels: log-uniform over what a 1/4-to-1/2-scaled camera frame shows
            pw = math.exp(rng.uniform(math.log(18), math.log(200)))
            ph = pw * (ph_img * (1 - 2 * iy)) / (pw_img * (1 - 2 * ix))
            ph *= rng.uniform(0.85, 1.15)
            cx = rng.uniform(pw * 0.3, T - pw * 0.3)
            cy = rng.uniform(ph, T - ph)
            q = plate_quad(cx, cy, pw, ph, rng)
            if any(np.linalg.norm(q.mean(0) - o.mean(0)) < (pw + o[:, 0].ptp()) * 0.6 for o in quads):
                continue
            if n == 1 and rng.random() < 0.7:
                ang = math.atan2(q[1][1] - q[0][1], q[1][0] - q[0][0])
                self.car_front(img, cx, cy, pw, ph, ang)
            # the bezel: a dark or chrome frame just outside the plate
            if rng.random() < 0.6:
                grow = 1 + rng.uniform(0.04, 0.12)
                bq = (q - q.mean(0)) * np.float32([grow, grow + 0.1]) + q.mean(0)
                cv2.fillConvexPoly(img, bq.astype(np.int32), jit((rng.choice([20, 40, 180, 220]),) * 3, rng, 20), cv2.LINE_AA)
            # the quad in tile pixels is the plate; the picture's own margins (real crops) extend beyond it
            ex = np.float32([1 / (1 - 2 * ix), 1 / (1 - 2 * iy)])
            u = (q[1] - q[0] + q[2] - q[3]) / 2
            v = (q[3] - q[0] + q[2] - q[1]) / 2
            sgn = np.float32([[-1, -1], [1, -1], [1, 1], [-1, 1]])
            outer = q + (sgn[:, :1] * u * (ex[0] - 1) / 2) + (sgn[:, 1:] * v * (ex[1] - 1) / 2)
            scale = pw / pw_img
            pl = cv2.GaussianBlur(plate, (0, 0), 0.45 / scale * rng.uniform(0.6, 1.0)) if scale < 0.7 else plate
            warp_onto(img, pl, outer)
            cv2.fillConvexPoly(target, q.astype(np.int32), 1.0, cv2.LINE_AA)
            quads.append(q)
        img = self.photometric(img)
        tgt = cv2.resize(target, (T // STRIDE, T // STRIDE), interpolation=cv2.INTER_AREA)
        return img, tgt, quads

    def photometric(self, img):
        rng, T = self.rng, self.tile
        if rng.random() < 0.3:  # glare
            blob = np.zeros((T, T), np.float32)
            cv2.circle(blob, (rng.randrange(T), rng.randrange(T)), rng.randint(10, 80), 1.0, -1)
            blob = cv2.GaussianBlur(blob, (0, 0), rng.uniform(5, 30))
            img += blob[:, :, None] * rng.uniform(80, 255)
        if rng.random() < 0.25:  # shadow
            pts = np.array([[rng.uniform(-T, 2 * T), rng.uniform(-T, 2 * T)] for _ in range(4)], np.int32)
            m = np.zeros((T, T), np.float32)
            cv2.fillConvexPoly(m, cv2.convexHull(pts), 1.0)
            m = cv2.GaussianBlur(m, (0, 0), rng.uniform(1, 10))
            img *= (1 - m * rng.uniform(0.3, 0.7))[:, :, None]
        img *= np.float32([rng.uniform(0.8, 1.2) for _ in range(3)])  # white balance
        g = rng.uniform(0.25, 1.3) if rng.random() < 0.3 else 1.0  # low light / overexposure
        img = (img - 128) * rng.uniform(0.6, 1.25) + 128 + rng.uniform(-40, 30)
        img = np.clip(img, 0, 255)
        if g != 1.0:
            img = img * g
        k = rng.random()
        if k < 0.25:
            img = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.5, 2.0))
        elif k < 0.4:
            ker = ps.motion_kernel(rng.choice([3, 5, 7, 9]), rng.uniform(0, 180))
            img = cv2.filter2D(img, -1, ker)
        nz = np.empty(img.shape, np.float32)
        cv2.randn(nz, 0.0, rng.uniform(0, 12))
        img = np.clip(img + nz, 0, 255).astype(np.uint8)
        if rng.random() < 0.12:  # IR night / monochrome camera
            gr = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
            img = cv2.cvtColor(gr, cv2.COLOR_GRAY2BGR)
        if rng.random() < 0.7:
            ok, enc = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, rng.randint(25, 92)])
            img = cv2.imdecode(enc, cv2.IMREAD_COLOR)
        return img


def Synth_surface(img, rng):
    return ps.Synth._plate_surface(None, img, rng)


class TileStream(torch.utils.data.IterableDataset):
    def __init__(self, seed, crops):
        self.seed, self.crops = seed, crops

    def __iter__(self):
        info = torch.utils.data.get_worker_info()
        wid = info.id if info else 0
        c = Composer(self.seed * 1000 + wid, self.crops)
        while True:
            img, tgt, _ = c.sample()
            yield img, tgt


def to_input(img_u8):
    return torch.from_numpy(img_u8.astype(np.float32)).permute(0, 3, 1, 2) * SCALE - MEAN


# ----------------------------------------------------------------------------------------------------------------
# Decoding (mirrors vision/plate_detector.cpp) and validation

def decode(prob, in_w, in_h, thresh=THRESH, min_cells=3):
    """prob: H/4 x W/4 probabilities -> list of 4x2 quads in input pixels (TL TR BR BL)."""
    up = cv2.resize(prob, (in_w, in_h), interpolation=cv2.INTER_LINEAR)
    m = (up > thresh).astype(np.uint8)
    cnts, _ = cv2.findContours(m, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    out = []
    for c in cnts:
        if cv2.contourArea(c) < min_cells * STRIDE * STRIDE:
            continue
        rr = cv2.minAreaRect(c)
        pts = cv2.boxPoints(rr)
        out.append(order(pts))
    return out


def order(pts):
    pts = np.float32(pts)
    c = pts.mean(0)
    # long side horizontal: sort by angle, then rotate so TL is nearest the top-left
    a = np.arctan2(pts[:, 1] - c[1], pts[:, 0] - c[0])
    pts = pts[np.argsort(a)]  # clockwise in image coordinates starting near -pi (left)
    best = min(range(4), key=lambda i: pts[i][0] + pts[i][1])
    pts = np.roll(pts, -best, 0)
    return pts


def iou(q1, q2):
    a = np.zeros((TILE * 2, TILE * 2), np.uint8)
    b = np.zeros_like(a)
    cv2.fillConvexPoly(a, np.int32(q1 + TILE / 2), 1)
    cv2.fillConvexPoly(b, np.int32(q2 + TILE / 2), 1)
    inter = np.logical_and(a, b).sum()
    uni = np.logical_or(a, b).sum()
    return inter / max(uni, 1)


def validate(model, val):
    model.eval()
    found = total = false = 0
    with torch.no_grad():
        for i in range(0, len(val["x"]), 32):
            x = to_input(val["x"][i:i + 32])
            p = torch.sigmoid(model(x)).numpy()[:, 0]
            for j in range(p.shape[0]):
                det = decode(p[j], TILE, TILE)
                gts = val["q"][i + j]
                used = set()
                for g in gts:
                    hit = [k for k, d in enumerate(det) if k not in used and iou(g, d) >= 0.5]
                    total += 1
                    if hit:
                        found += 1
                        used.add(hit[0])
                false += len(det) - len(used)
    model.train()
    return found / max(total, 1), false / len(val["x"])


def make_val(path, crops, n=600, seed=777001):
    if os.path.exists(path):
        d = np.load(path, allow_pickle=True)
        return {"x": d["x"], "q": list(d["q"])}
    c = Composer(seed, crops)
    xs, qs = [], []
    for _ in range(n):
        img, _, q = c.sample()
        xs.append(img)
        qs.append(q)
    np.savez_compressed(path, x=np.stack(xs), q=np.array(qs, dtype=object))
    return {"x": np.stack(xs), "q": qs}


# ----------------------------------------------------------------------------------------------------------------
# Commands

def cmd_sheet(args):
    c = Composer(args.seed, args.crops)
    rows = []
    for r in range(4):
        row = []
        for k in range(6):
            img, tgt, _ = c.sample()
            t = cv2.resize((tgt * 255).astype(np.uint8), (TILE, TILE), interpolation=cv2.INTER_NEAREST)
            over = img.copy()
            over[:, :, 2] = np.maximum(over[:, :, 2], t)
            row.append(over)
        rows.append(np.hstack(row))
    os.makedirs(os.path.join(HERE, "runs"), exist_ok=True)
    out = os.path.join(HERE, "runs", "det_sheet.png")
    cv2.imwrite(out, np.vstack(rows))
    print(out)


def cmd_train(args):
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    os.makedirs(args.ckpt_dir, exist_ok=True)
    os.makedirs(os.path.join(HERE, "runs"), exist_ok=True)
    model = PlateDetector()
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    last = os.path.join(args.ckpt_dir, "det_last.pt")
    best_path = os.path.join(args.ckpt_dir, "det_best.pt")
    step, seen, best = 0, 0, -1.0
    if os.path.exists(last):
        ck = torch.load(last)
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["opt"])
        step, seen, best = ck["step"], ck["seen"], ck["best"]
        print(f"resumed at step {step}, {seen} tiles, best {best:.4f}", flush=True)
    val = make_val(os.path.join(HERE, "runs", "det_val.npz"), args.crops)
    stream = TileStream(args.seed + step, args.crops)
    loader = torch.utils.data.DataLoader(stream, batch_size=args.bs, num_workers=args.workers,
                                         collate_fn=lambda b: (np.stack([x[0] for x in b]), np.stack([x[1] for x in b])))
    stop = {"now": False}
    signal.signal(signal.SIGTERM, lambda *_: stop.update(now=True))
    t_end = time.time() + args.minutes * 60

    def save(path):
        torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "step": step, "seen": seen, "best": best}, path)

    t0 = time.time()
    run_loss = 0.0
    for img, tgt in loader:
        lr = args.lr_final + 0.5 * (args.lr - args.lr_final) * (1 + math.cos(math.pi * min(1.0, seen / args.decay_tiles)))
        for g in opt.param_groups:
            g["lr"] = lr
        x = to_input(img)
        y = torch.from_numpy(tgt)[:, None]
        logit = model(x)
        bce = F.binary_cross_entropy_with_logits(logit, y, pos_weight=torch.tensor(3.0))
        p = torch.sigmoid(logit)
        dice = 1 - (2 * (p * y).sum((1, 2, 3)) + 1) / (p.sum((1, 2, 3)) + y.sum((1, 2, 3)) + 1)
        loss = bce + 0.5 * dice.mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        step += 1
        seen += x.shape[0]
        run_loss = 0.98 * run_loss + 0.02 * loss.item() if step > 1 else loss.item()
        if step % 50 == 0:
            print(f"step {step} tiles {seen} loss {run_loss:.4f} lr {lr:.2e} {seen / (time.time() - t0 + 1e-9):.0f}/s",
                  flush=True)
        if step % args.val_every == 0:
            rec, fp = validate(model, val)
            score = rec - 0.05 * fp
            tag = ""
            if score > best:
                best = score
                save(best_path)
                tag = " best"
            print(f"VAL step {step} recall {rec:.4f} false/tile {fp:.3f} score {score:.4f}{tag}", flush=True)
            save(last)
        if stop["now"] or time.time() > t_end:
            break
    save(last)
    print("stopped", step, seen, flush=True)


FOLDED_ALLOWED = {"Conv", "Relu", "ConvTranspose", "Concat"}


def fold(model):
    """A copy with each (Conv|ConvTranspose)+BatchNorm folded into one layer with a bias."""
    import copy
    m = copy.deepcopy(model).eval()

    def fold_seq(seq):
        mods = list(seq)
        out, i = [], 0
        while i < len(mods):
            a = mods[i]
            if isinstance(a, (nn.Conv2d, nn.ConvTranspose2d)) and i + 1 < len(mods) and isinstance(mods[i + 1], nn.BatchNorm2d):
                bn = mods[i + 1]
                g = bn.weight / torch.sqrt(bn.running_var + bn.eps)
                if isinstance(a, nn.Conv2d):
                    c = nn.Conv2d(a.in_channels, a.out_channels, a.kernel_size, a.stride, a.padding, a.dilation, a.groups, bias=True)
                    c.weight.data = a.weight.data * g[:, None, None, None]
                else:
                    c = nn.ConvTranspose2d(a.in_channels, a.out_channels, a.kernel_size, a.stride, a.padding, bias=True)
                    c.weight.data = a.weight.data * g[None, :, None, None]
                b = a.bias.data if a.bias is not None else torch.zeros_like(bn.running_mean)
                c.bias.data = (b - bn.running_mean) * g + bn.bias.data
                out.append(c)
                i += 2
            else:
                out.append(a)
                i += 1
        return nn.Sequential(*out)

    for name in ("s4", "s8", "s16", "up16", "up8", "lat4", "head"):
        setattr(m, name, fold_seq(getattr(m, name)))
    return m


def cmd_export(args):
    import datetime
    import onnx
    ck = torch.load(args.ckpt)
    model = PlateDetector()
    model.load_state_dict(ck["model"])
    model.eval()
    folded = fold(model)
    out_dir = args.out_dir
    onnx_path = os.path.join(out_dir, "plate_detector.onnx")
    dummy = torch.zeros(1, 3, args.height, args.width)
    torch.onnx.export(folded, dummy, onnx_path, opset_version=11, input_names=["input"], output_names=["plate"],
                      do_constant_folding=True)
    ops = {n.op_type for n in onnx.load(onnx_path).graph.node}
    bad = ops - FOLDED_ALLOWED
    if bad:
        raise SystemExit(f"operators OpenCV 4.6 may not load: {sorted(bad)}")
    net = cv2.dnn.readNetFromONNX(onnx_path)
    # Reference I/O: generated tiles, and the same net at another input size (the C++ side runs it at any size).
    c = Composer(20261204, None)
    ref_dir = os.path.join(REPO, "tests", "data", "plates", "detector_reference")
    os.makedirs(ref_dir, exist_ok=True)
    refs = []
    worst = 0.0
    for i, (w, h) in enumerate([(256, 256), (256, 256), (320, 192)]):
        img, _, _ = c.sample()
        img = cv2.resize(img, (w, h), interpolation=cv2.INTER_AREA)
        with torch.no_grad():
            want = model(to_input(img[None])).numpy()[0, 0]
        blob = cv2.dnn.blobFromImage(img, SCALE, (w, h), (MEAN / SCALE,) * 3, swapRB=False, crop=False)
        net.setInput(blob)
        got = net.forward()[0, 0]
        worst = max(worst, float(np.abs(got - want).max()))
        name = f"ref_{i}.png"
        cv2.imwrite(os.path.join(ref_dir, name), img)
        ys, xs = np.unravel_index(np.argsort(-want.ravel())[:5], want.shape)
        probe = [[int(y), int(x), float(want[y, x])] for y, x in zip(ys, xs)] + \
                [[int(want.shape[0] // 2), int(want.shape[1] // 3), float(want[want.shape[0] // 2, want.shape[1] // 3])]]
        refs.append({"file": name, "width": w, "height": h, "sum": float(want.sum()), "max": float(want.max()),
                     "probes": probe})
    if worst > 1e-3:
        raise SystemExit(f"cv2.dnn differs from torch by {worst}")
    with open(os.path.join(ref_dir, "expected.json"), "w") as f:
        json.dump({"model": "plate_detector.onnx", "tolerance": 2e-3, "samples": refs}, f, indent=1)
    version = datetime.datetime.utcnow().strftime("%Y%m%d") + f"-d{ck['step']}"
    meta = {
        "version": version,
        "created": datetime.datetime.utcnow().strftime("%Y-%m-%dT%H:%M:%SZ"),
        "model_file": "plate_detector.onnx",
        "input": {"name": "input", "channels": 3, "colour": "BGR", "scale": SCALE, "mean": MEAN,
                  "formula": "x = v * scale - mean per channel, v = 0..255",
                  "multiple": 16, "trained_tile": TILE},
        "output": {"name": "plate", "stride": STRIDE, "kind": "logits", "threshold": THRESH},
        "training": {"step": ck["step"], "tiles": ck["seen"], "val_score": ck["best"]},
        "max_abs_diff_cv2_vs_torch": worst,
    }
    with open(os.path.join(out_dir, "plate_detector.json"), "w") as f:
        json.dump(meta, f, indent=1)
    print(json.dumps(meta, indent=1))


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("train")
    t.add_argument("--minutes", type=float, default=50)
    t.add_argument("--bs", type=int, default=16)
    t.add_argument("--lr", type=float, default=2e-3)
    t.add_argument("--lr-final", type=float, default=5e-5)
    t.add_argument("--decay-tiles", type=float, default=3.0e5)
    t.add_argument("--threads", type=int, default=1)
    t.add_argument("--workers", type=int, default=1)
    t.add_argument("--val-every", type=int, default=500)
    t.add_argument("--seed", type=int, default=1)
    t.add_argument("--crops", default=None, help="lprnet_crops folder (its split.csv `train` part is used)")
    t.add_argument("--ckpt-dir", default=os.path.join(HERE, "checkpoints"))
    s = sub.add_parser("sheet")
    s.add_argument("--seed", type=int, default=5)
    s.add_argument("--crops", default=None)
    e = sub.add_parser("export")
    e.add_argument("--ckpt", default=os.path.join(HERE, "checkpoints", "det_best.pt"))
    e.add_argument("--out-dir", default=os.path.join(REPO, "vision", "models"))
    e.add_argument("--width", type=int, default=256)
    e.add_argument("--height", type=int, default=256)
    args = ap.parse_args()
    {"train": cmd_train, "sheet": cmd_sheet, "export": cmd_export}[args.cmd](args)


if __name__ == "__main__":
    main()
