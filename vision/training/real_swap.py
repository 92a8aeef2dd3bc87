"""Province swap: a real `train` crop of lprnet_crops with its province character replaced by a drawn one.

The licensed real crops are almost all 皖. Mixed into training as they are, they teach the reader that a real-looking
plate is a 皖 plate; a logit adjustment at export (the "prior fix") then takes 皖 back down for every plate, right
ones included. Swapping the province of most real crops for a drawn province, chosen as the generator chooses one
(沪 a quarter, the other 30 uniform, 皖 among them, so a drawn glyph says nothing about which province it is), keeps
the real crops' camera, blur, dirt and serial characters while the province prior stays the generator's: the
reader has to read the province from its shape.

Only 7-character blue-style crops (light characters on a darker plate) are swapped; anything the locator is not
sure of is left as it is (the caller then uses the crop unchanged, with its own label).
"""
import cv2
import numpy as np

import plate_synth as ps


def _otsu_text(grey, region, light_text):
    """Text mask of grey from an Otsu threshold fitted on region (a sub-image where characters dominate the ink)."""
    t, _ = cv2.threshold(region.astype(np.uint8), 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return grey > t if light_text else grey < t


def _longest_run(flags):
    best, cur, start = (0, 0), 0, 0
    for i, on in enumerate(list(flags) + [False]):
        if on:
            if cur == 0:
                start = i
            cur += 1
        else:
            if cur > best[1] - best[0]:
                best = (start, start + cur)
            cur = 0
    return best


def locate_province(im):
    """(x0, y0, x1, y1, light_text) of the province character in a tight plate crop, or None when unsure."""
    h, w = im.shape[:2]
    if w < 40 or h < 12:
        return None
    grey = cv2.cvtColor(im, cv2.COLOR_BGR2GRAY).astype(np.float32)
    serial = grey[int(0.2 * h):int(0.8 * h), int(0.3 * w):int(0.95 * w)]
    t, _ = cv2.threshold(serial.astype(np.uint8), 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    light_text = (serial > t).mean() < 0.5  # the characters are the minority class
    text = grey > t if light_text else grey < t
    # The character band beside the province (tilt moves it, so it is found in the left part itself).
    left = text[:, int(0.02 * w):int(0.22 * w)]
    y0, y1 = _longest_run(left.mean(axis=1) > 0.12)
    ch = y1 - y0
    if ch < 0.4 * h:
        return None
    band = text[y0:y1].mean(axis=0)
    x0 = None
    for x in range(0, int(0.15 * w)):
        if band[x] > 0.85 and x < 0.06 * w:  # a rim or the plate's edge
            continue
        if band[x] > 0.15:
            x0 = x
            break
    if x0 is None:
        return None
    x1 = None
    for x in range(x0 + int(0.35 * ch), min(w, x0 + int(0.8 * ch) + 1)):
        if band[x] < 0.12:  # the gap before the second character
            x1 = x
            break
    if x1 is None or not 0.08 * w <= x1 - x0 <= 0.16 * w:  # a province is about 45 of the plate's 440 mm
        return None
    # Nothing of the old glyph may be left outside the box: above and below it, in its columns (tilt, a band cut short).
    pad = max(1, ch // 6)
    above = text[max(0, y0 - pad):y0, x0:x1]
    below = text[y1:min(h, y1 + pad), x0:x1]
    if (above.size and above.mean() > 0.25) or (below.size and below.mean() > 0.25):
        return None
    return x0, y0, x1, y1, light_text


def swap_province(im, text, bank, rng, new=None):
    """(crop, label) with the province replaced, or None when the crop is not one to swap."""
    if len(text) != 7 or text[0] not in ps.PROVINCES:
        return None
    loc = locate_province(im)
    if loc is None:
        return None
    x0, y0, x1, y1, light_text = loc
    h, w = im.shape[:2]
    new = new or ps.random_province(rng)
    img = im.astype(np.float32)
    grey = cv2.cvtColor(im, cv2.COLOR_BGR2GRAY).astype(np.float32)
    # Colours: the old glyph's ink and the plate around it, from a box a little larger than the cell.
    bx0, by0, bx1, by1 = max(0, x0 - 2), max(0, y0 - 2), min(w, x1 + 2), min(h, y1 + 2)
    patch = grey[by0:by1, bx0:bx1]
    t, _ = cv2.threshold(patch.astype(np.uint8), 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    ink = patch > t if light_text else patch < t
    if ink.mean() < 0.08 or ink.mean() > 0.7:
        return None
    pix = img[by0:by1, bx0:bx1].reshape(-1, 3)
    fg = np.median(pix[ink.reshape(-1)], axis=0)
    bg = np.median(pix[~ink.reshape(-1)], axis=0)
    # Erase: the cell (1 px wider all round) becomes the plate's colour with the crop's own grain.
    ex0, ey0, ex1, ey1 = max(0, x0 - 1), max(0, y0 - 1), min(w, x1 + 1), min(h, y1 + 1)
    grain = float(np.std(pix[~ink.reshape(-1)], axis=0).mean())
    noise = np.empty((ey1 - ey0, ex1 - ex0, 3), np.float32)
    cv2.randn(noise, 0.0, min(grain, 12.0))
    img[ey0:ey1, ex0:ex1] = bg + noise
    # Draw: a province glyph from the generator's bank, elastic as the generator draws it, shrunk to the cell.
    m = bank.get(new, 45.0, rng)
    if rng.random() < 0.6:
        m = ps.elastic(m, rng)
    gw = max(3, int(round((x1 - x0) * rng.uniform(0.92, 1.06))))
    gh = max(5, int(round((y1 - y0) * rng.uniform(0.94, 1.04))))
    m = cv2.resize(m, (gw, gh), interpolation=cv2.INTER_AREA)
    if rng.random() < 0.5:
        m = cv2.GaussianBlur(m, (0, 0), rng.uniform(0.3, 0.8))
    ox = x0 + rng.randint(-1, 1)
    oy = y0 + (y1 - y0 - gh) // 2 + rng.randint(-1, 1)
    sx0, sy0 = max(0, ox), max(0, oy)
    sx1, sy1 = min(w, ox + gw), min(h, oy + gh)
    if sx1 <= sx0 or sy1 <= sy0:
        return None
    a = m[sy0 - oy:sy1 - oy, sx0 - ox:sx1 - ox, None]
    region = img[sy0:sy1, sx0:sx1]
    img[sy0:sy1, sx0:sx1] = region * (1 - a) + fg * a
    out = np.clip(img, 0, 255).astype(np.uint8)
    return out, new + text[1:]


if __name__ == "__main__":
    # A contact sheet of swaps for a person to look at: python3 real_swap.py LPRNET_DIR OUT.png
    import os
    import random
    import sys
    folder, out = sys.argv[1], sys.argv[2]
    names = [ln.split(",")[0] for ln in open(os.path.join(folder, "split.csv"), encoding="utf-8").read().split("\n")[1:]
             if ln.endswith(",train")]
    rng = random.Random(5)
    bank = ps.GlyphBank()
    tiles, done, tried = [], 0, 0
    for n in rng.sample(names, 60):
        im = cv2.imdecode(np.fromfile(os.path.join(folder, n), np.uint8), cv2.IMREAD_COLOR)
        r = swap_province(im, os.path.splitext(n)[0], bank, rng)
        tried += 1
        if r is None:
            continue
        done += 1
        if len(tiles) < 24:
            big = lambda x: cv2.resize(x, (188, 48), interpolation=cv2.INTER_NEAREST)
            tiles.append(np.hstack([big(im), big(r[0])]))
    print("swapped", done, "of", tried)
    rows = [np.hstack(tiles[i:i + 3]) for i in range(0, len(tiles) - len(tiles) % 3, 3)]
    cv2.imwrite(out, np.vstack(rows))


def _read(net, im, charset):
    """The committed reader's greedy text for a tight crop, with the reader's margins added (edge pixels repeated)."""
    h, w = im.shape[:2]
    mx, my = int(round(0.06 * w)), int(round(0.12 * h))
    im = cv2.copyMakeBorder(im, my, my, mx, mx, cv2.BORDER_REPLICATE)
    grey = cv2.resize(cv2.cvtColor(im, cv2.COLOR_BGR2GRAY), (96, 32), interpolation=cv2.INTER_AREA)
    net.setInput(cv2.dnn.blobFromImage(grey, 1.0 / 127.5, (96, 32), (127.5,)))
    k = net.forward()[0].argmax(axis=0)
    out, prev = [], 0
    for c in k:
        if c != 0 and c != prev:
            out.append(charset[c])
        prev = c
    return "".join(out)


def build_pool(real, bank, rng, model_path, charset, per_crop=12):
    """Swapped crops to train on: per_crop swaps of every crop the locator is sure of, each kept only when the
    committed reader (model_path) reads the whole swapped plate as its new label. The check drops the swaps where the
    locator missed part of the old glyph or cut into the second character; it does not choose the drawn glyphs (those
    come from the generator's bank whatever the reader thinks of them, and a swap it misreads is dropped, not
    relabelled). Returns (pool, stats)."""
    net = cv2.dnn.readNetFromONNX(model_path)
    pool, tried, located, kept = [], 0, 0, 0
    for im, text in real:
        if swap_province(im, text, bank, rng, new="京") is None:
            tried += 1
            continue
        tried += 1
        located += 1
        for _ in range(per_crop):
            r = swap_province(im, text, bank, rng)
            if r is not None and _read(net, r[0], charset) == r[1]:
                pool.append(r)
                kept += 1
    return pool, {"crops": tried, "located": located, "swaps_tried": located * per_crop, "swaps_kept": kept}
