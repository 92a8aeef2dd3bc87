"""Generated full scenes of the failure kinds issue 14 describes (no real scene is used), for bench_plates --scenes:

  green100  a clear frontal daylight green 8-character plate about 100 px wide on a silver car (1280x960 frame)
  faded     faded or low-contrast blue/yellow plates whose province character is pale (1024x768)
  portrait  plates 90-140 px wide in 720x1160 portrait parking-lot photos, seen from above and aside
  grille    plates next to a bright chrome grille or a lit headlight (1280x720)

Plates are drawn by the trainer's generator (vision/training/plate_synth.py), car fronts and backgrounds by the
detector's tile composer (vision/training/detector.py: Debian photos, drawn body, grille, headlights, bezel), at
full frame size; the camera is milder than training's. Written outside the repository, with labels.csv in
ccpd_dev's format (plate_text, plate_colour, four_vertices "x&y;..." TL TR BR BL):

    /usr/bin/python3 bench/plates/kind_scenes.py --out /tmp/kinds-eval --n 40 --seed 1401
    /usr/bin/python3 bench/plates/kind_scenes.py --out /tmp/kinds-fit --n 40 --seed 2901   # for fitting choices

Use one seed for choosing anything (thresholds, calibration) and another only for measuring.
"""
import argparse
import csv
import math
import os
import random
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "vision", "training"))
import cv2  # noqa: E402
import numpy as np  # noqa: E402

import detector as det  # noqa: E402
import plate_synth as ps  # noqa: E402

KINDS = ("green100", "faded", "portrait", "grille")
FRAME = {"green100": (1280, 960), "faded": (1024, 768), "portrait": (720, 1160), "grille": (1280, 720)}
SILVER = [(200, 200, 200), (185, 188, 190), (170, 170, 160), (215, 215, 212)]


def plate_for(kind, rng, bank):
    if kind == "green100":
        p = ps.random_province(rng)
        text = p + rng.choice(ps.SECOND_LETTERS[p]) + rng.choice("DF") + rng.choice(ps.DIGITS + ps.LETTERS) + "".join(
            rng.choice(ps.DIGITS) for _ in range(4))
        pk = "green_small"
    else:
        while True:
            text, pk = ps.random_plate(rng)
            if pk in ("blue", "yellow", "green_small", "green_large") and len(text) in (7, 8):
                break
        if kind == "faded" and pk.startswith("green"):
            pk = rng.choice(["blue", "yellow"])
            text = text[:7]
            if any(c in ps.LETTERS for c in text[2:]) and sum(c in ps.LETTERS for c in text[2:]) > 2:
                text = text[:2] + "".join(rng.choice(ps.DIGITS) for _ in range(5))
    img = ps.draw_plate(text, pk, bank, rng).astype(np.float32)
    if kind == "faded":
        # the whole plate washed out towards a pale grey, and the province character paler still
        a = rng.uniform(0.3, 0.55)
        img = img * (1 - a) + np.float32(rng.uniform(150, 210)) * a
        W, cw, boxes, _ = ps.layout(len(text))
        x0 = int(boxes[0][0] * bank.ppm) - 2
        x1 = int((boxes[0][0] + cw) * bank.ppm) + 2
        bg = np.median(img[:, x1:x1 + 20].reshape(-1, 3), axis=0)
        b = rng.uniform(0.35, 0.65)
        img[:, x0:x1] = img[:, x0:x1] * (1 - b) + bg * b
    colour = "green" if pk.startswith("green") else pk
    return text, colour, img


def frame_background(comp, w, h, rng):
    if comp.bgs and rng.random() < 0.8:
        im = comp.bgs[rng.randrange(len(comp.bgs))]
        s = max((w + 2) / im.shape[1], (h + 2) / im.shape[0]) * rng.uniform(1.0, 1.6)
        im = cv2.resize(im, None, fx=s, fy=s, interpolation=cv2.INTER_LINEAR)
        y = rng.randrange(im.shape[0] - h + 1)
        x = rng.randrange(im.shape[1] - w + 1)
        return im[y:y + h, x:x + w].astype(np.float32).copy()
    return ps.random_background(w, h, rng)


def camera(img, rng, kind):
    h, w = img.shape[:2]
    if kind == "grille" or rng.random() < 0.2:  # glare
        blob = np.zeros((h, w), np.float32)
        cv2.circle(blob, (rng.randrange(w), rng.randrange(h)), rng.randint(20, 120), 1.0, -1)
        blob = cv2.GaussianBlur(blob, (0, 0), rng.uniform(10, 40))
        img += blob[:, :, None] * rng.uniform(40, 160)
    img *= np.float32([rng.uniform(0.9, 1.1) for _ in range(3)])
    gain = rng.uniform(0.95, 1.2) if kind == "green100" else rng.uniform(0.7, 1.15)
    img = np.clip((img - 128) * rng.uniform(0.85, 1.1) + 128, 0, 255) * gain
    if rng.random() < 0.5:
        img = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.4, 1.2))
    nz = np.empty(img.shape, np.float32)
    cv2.randn(nz, 0.0, rng.uniform(1, 6))
    img = np.clip(img + nz, 0, 255).astype(np.uint8)
    ok, enc = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, rng.randint(60, 92)])
    return cv2.imdecode(enc, cv2.IMREAD_COLOR)


def scene(comp, kind, rng, bank):
    w, h = FRAME[kind]
    img = frame_background(comp, w, h, rng)
    text, colour, plate = plate_for(kind, rng, bank)
    pw = {"green100": (90, 115), "faded": (90, 260), "portrait": (90, 140), "grille": (100, 300)}[kind]
    pw = rng.uniform(*pw)
    ph = pw * plate.shape[0] / plate.shape[1] * rng.uniform(0.92, 1.08)
    cx = rng.uniform(0.3, 0.7) * w
    cy = rng.uniform(0.45, 0.8) * h
    q = det.plate_quad(cx, cy, pw, ph, rng)
    if kind == "green100":  # frontal: little roll and yaw
        c0 = np.float32([[-pw / 2, -ph / 2], [pw / 2, -ph / 2], [pw / 2, ph / 2], [-pw / 2, ph / 2]])
        ang = math.radians(rng.uniform(-3, 3))
        q = c0 @ np.float32([[math.cos(ang), math.sin(ang)], [-math.sin(ang), math.cos(ang)]]) + np.float32([cx, cy])
    elif kind == "portrait":  # seen from above and aside: a stronger yaw and pitch
        yaw = rng.uniform(-0.3, 0.3)
        q = q.copy()
        q[:, 1] += (q[:, 0] - cx) * yaw
    ang = math.atan2(q[1][1] - q[0][1], q[1][0] - q[0][0])
    comp.car_front(img, cx, cy, pw, ph, ang, SILVER if kind == "green100" else det.CAR_COLOURS)
    if kind == "grille":  # a bright chrome bar or a lit lamp right beside the plate
        for _ in range(rng.randint(1, 3)):
            side = rng.choice([-1, 1])
            if rng.random() < 0.5:
                y = cy - ph * rng.uniform(0.7, 1.0) * rng.choice([-1, 1])
                cv2.line(img, (int(cx - pw * 0.8), int(y)), (int(cx + pw * 0.8), int(y)), (rng.uniform(200, 255),) * 3,
                         max(2, int(ph * rng.uniform(0.15, 0.4))), cv2.LINE_AA)
            else:
                centre = (int(cx + side * pw * rng.uniform(0.65, 0.95)), int(cy + rng.uniform(-0.5, 0.5) * ph))
                blob = np.zeros(img.shape[:2], np.float32)
                cv2.ellipse(blob, centre, (int(pw * 0.18), int(ph * 0.5)), 0, 0, 360, 1.0, -1)
                blob = cv2.GaussianBlur(blob, (0, 0), max(2.0, pw * 0.08))
                img += blob[:, :, None] * rng.uniform(150, 255)
    if rng.random() < 0.6:  # bezel
        grow = 1 + rng.uniform(0.04, 0.1)
        bq = (q - q.mean(0)) * np.float32([grow, grow + 0.1]) + q.mean(0)
        cv2.fillConvexPoly(img, bq.astype(np.int32), det.jit((rng.choice([20, 40, 180, 220]),) * 3, rng, 20), cv2.LINE_AA)
    scale = pw / plate.shape[1]
    pl = cv2.GaussianBlur(plate, (0, 0), 0.45 / scale * rng.uniform(0.6, 1.0)) if scale < 0.7 else plate
    det.warp_onto(img, pl, q)
    return camera(np.clip(img, 0, 255), rng, kind), text, colour, q


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--n", type=int, default=40, help="scenes per kind")
    ap.add_argument("--seed", type=int, default=1401)
    ap.add_argument("--kinds", default=",".join(KINDS))
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    rng = random.Random(a.seed)
    comp = det.Composer(a.seed)
    comp.rng = rng
    bank = ps.GlyphBank(ppm=1.5)
    rows = []
    for kind in a.kinds.split(","):
        for i in range(a.n):
            img, text, colour, q = scene(comp, kind, rng, bank)
            name = f"{kind}_{i:03d}.jpg"
            cv2.imwrite(os.path.join(a.out, name), img, [cv2.IMWRITE_JPEG_QUALITY, 95])
            verts = ";".join(f"{x:.1f}&{y:.1f}" for x, y in q)
            rows.append([name, text, colour, kind, verts])
    with open(os.path.join(a.out, "labels.csv"), "w", newline="", encoding="utf-8") as f:
        wr = csv.writer(f)
        wr.writerow(["filename", "plate_text", "plate_colour", "kind", "four_vertices"])
        wr.writerows(rows)
    print(f"wrote {len(rows)} scenes to {a.out}")


if __name__ == "__main__":
    main()
