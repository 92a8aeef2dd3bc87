"""Clean flat plates for bench_plates, drawn by the trainer's generator (vision/training/plate_synth.py, the
plate-font glyphs), written outside the repository. bench_plates --flat DIR composes them into 1080p lane scenes
with its own perspective, lighting, night (IR) and compression, so the scenes are not the training pipeline's.
Texts the plate grammar does not accept (serials with three letters, GA 36-2014 5.8.1) are skipped.

    /usr/bin/python3 bench/plates/flat_plates.py --out /tmp/plates-flat --n 300 --seed 20261127
"""
import argparse
import csv
import os
import random
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "vision", "training"))
import cv2  # noqa: E402
import plate_synth as ps  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="/tmp/plates-flat")
    ap.add_argument("--n", type=int, default=300, help="plates per kind")
    ap.add_argument("--seed", type=int, default=20261127)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    rng = random.Random(a.seed)
    bank = ps.GlyphBank(ppm=1.5)
    rows = []
    for kind in ("blue", "yellow", "green_small", "green_large"):
        count = 0
        while count < a.n:
            text, k = ps.random_plate(rng)
            if k != kind or sum(c.isascii() and c.isalpha() for c in text[2:]) > (2 if len(text) == 7 else 6):
                continue
            name = "%s_%04d.png" % (kind, count)
            cv2.imwrite(os.path.join(a.out, name), ps.draw_plate(text, k, bank, rng))
            rows.append((name, text, "green" if kind.startswith("green") else kind))
            count += 1
    with open(os.path.join(a.out, "labels.csv"), "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["filename", "plate_text", "plate_colour"])
        w.writerows(rows)
    print("wrote", len(rows), "plates to", a.out)


if __name__ == "__main__":
    main()
