"""Synthetic Chinese licence-plate generator (training data for the plate reader).

Plates are drawn to the GA 36-2014 single-row layout (440 x 140 mm, characters 45 x 90 mm,
12 mm spacing, a 34 mm gap holding the separator dot after the 2nd character) and to the
new-energy layout (480 x 140 mm, 8 characters 43 x 90 mm, 9 mm spacing, 49 mm gap).

Alphanumerics are NOT taken from a general font: every glyph is drawn from strokes to the
plate font's shapes (uniform stroke ~10 mm, vertical-sided M and W, flat-top 3, plain-bar 1,
straight-armed 6/9, hooked J, stadium-shaped 0 vs square-cornered D, Q with a short tail).
Province and special characters come from Debian's Noto CJK fonts (several weights).

Everything the generator needs per sample (glyph masks at the working resolution) is
pre-rendered once; a sample is then mask composition + one perspective warp + cheap
augmentations. Output: greyscale uint8 W x H crop and its label string.
"""
import math
import os
import random

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
DIGITS = "0123456789"
LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # no I, no O
SPECIALS = "学警港澳挂使领"
CHARSET = [""] + list(PROVINCES) + list(DIGITS) + list(LETTERS) + list(SPECIALS)

# Issuing-authority letters per province (GA 36-2014 Appendix A; I and O removed).
SECOND_LETTERS = {
    "京": "ABCDEFGHJKLMNPQRSTUVWXYZ", "津": "ABCDEFGHJKLMNPQRSTUVWXYZ",
    "沪": "ABCDEFGHJKLMNPQRSTUVWXYZ", "渝": "ABCDEFGHJKLMNPQRSTUVWXYZ",
    "冀": "ABCDEFGHJRT", "晋": "ABCDEFHJKLM", "蒙": "ABCDEFGHJKLM", "辽": "ABCDEFGHJKLMNP",
    "吉": "ABCDEFGHJK", "黑": "ABCDEFGHJKLMNPR", "苏": "ABCDEFGHJKLMN", "浙": "ABCDEFGHJKL",
    "皖": "ABCDEFGHJKLMNPRS", "闽": "ABCDEFGHJK", "赣": "ABCDEFGHJKLM",
    "鲁": "ABCDEFGHJKLMNPQRSUVY", "豫": "ABCDEFGHJKLMNPQRSU", "鄂": "ABCDEFGHJKLMNPQRS",
    "湘": "ABCDEFGHJKLMNSU", "粤": "ABCDEFGHJKLMNPQRSTUVWXY", "桂": "ABCDEFGHJKLMNPR",
    "琼": "ABCDE", "川": "ABCDEFHJKLMQRSTUVWXYZ", "贵": "ABCDEFGHJ", "云": "ACDEFGHJKLMNPQRS",
    "藏": "ABCDEFG", "陕": "ABCDEFGHJKV", "甘": "ABCDEFGHJKLMNP", "青": "ABCDEFGH",
    "宁": "ABCE", "新": "ABCDEFGHJKLMNPQR",
}
HU_PRIOR = 0.25  # the car park is in Shanghai; the rest uniform over the other 30

# Session 7 experiment, not in the committed model (see README): monoline versions of the province glyphs
# (render_font_glyph's mono) as well. Set True to reproduce it.
MONOLINE = False
CJK_FONTS = [
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc", 2),  # index 2 = SC
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),
    ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc", 2),
    # two more 黑体 (sans) designs, so that the province is learnt from its shape rather than one font's details
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    # session 3: four more designs (fonts-droid-fallback, fonts-noto-cjk-extra, fonts-cwtex-heib,
    # fonts-ipafont-gothic). The last two lack some simplified characters; a font is used only for the
    # characters it has (see font_has)
    ("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", 0),
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Black.ttc", 2),
    ("/usr/share/fonts/truetype/cwtex/cwheib.ttf", 0),
    ("/usr/share/fonts/opentype/ipafont-gothic/ipag.ttf", 0),
]
DIN_FONT = "/usr/share/fonts/truetype/opendin/OSP-DIN.ttf"

# ----------------------------------------------------------------------------------------
# Stroke glyphs. Coordinates in mm inside a 45 x 90 mm cell; the centre-line box is
# x 5..40, y 5..85 for a 10 mm stroke, so the outer edge fills the cell.


def _arc(cx, cy, rx, ry, a0, a1, n=None):
    n = n or max(4, int(abs(a1 - a0) / 10))
    return [(cx + rx * math.cos(math.radians(a0 + (a1 - a0) * i / n)),
             cy + ry * math.sin(math.radians(a0 + (a1 - a0) * i / n))) for i in range(n + 1)]


L, R, T, B, MX, MY = 5.0, 40.0, 5.0, 85.0, 22.5, 45.0
RX = (R - L) / 2  # 17.5


def _glyphs():
    g = {}
    top_arc = _arc(MX, T + RX, RX, RX, 180, 360)          # left -> over the top -> right
    bot_arc = _arc(MX, B - RX, RX, RX, 0, 180)            # right -> under -> left
    g["0"] = [[(L, T + RX)] + top_arc + [(R, B - RX)] + bot_arc + [(L, T + RX)]]
    g["D"] = [[(L, T), (L, B)], [(L, T), (MX - 2, T)] + _arc(MX - 2, T + 20, 19.5, 20, 270, 360) +
              [(R, B - 20)] + _arc(MX - 2, B - 20, 19.5, 20, 0, 90) + [(L, B)]]
    g["Q"] = g["0"] + [[(27, 64), (41, 87)]]
    g["1"] = [[(MX, T), (MX, B)]]
    a = _arc(MX, T + RX, RX, RX, 180, 390)
    g["2"] = [a + [(L, B), (R, B)]]
    g["3"] = [[(L, T), (R, T), (MX - 1, 40)] + _arc(MX, 61.5, RX, 23.5, 270, 505)]
    g["4"] = [[(30, B), (30, T), (L, 62), (R + 2, 62)]]
    g["5"] = [[(R, T), (L + 1, T), (L, 42)] + _arc(MX, 60, RX, 25, 218, 505)]
    g["6"] = [_arc(MX, 60, RX, 25, 0, 360, 36), [(L + 0.5, 57), (33, T)]]
    g["9"] = [_arc(MX, 30, RX, 25, 0, 360, 36), [(R - 0.5, 33), (12, B)]]
    g["7"] = [[(L, T), (R, T), (17, B)]]
    g["8"] = [_arc(MX, 24.5, 15.5, 19.5, 0, 360, 36), _arc(MX, 64, RX, 21, 0, 360, 36)]
    g["A"] = [[(L, B), (MX - 3, T), (MX + 3, T), (R, B)], [(10.5, 60), (34.5, 60)]]
    g["B"] = [[(L, T), (L, B)], [(L, T), (23, T)] + _arc(23, 24, 16, 19, 270, 450) + [(L, 43)],
              [(24, 43)] + _arc(24, 64, RX - 1.5, 21, 270, 450) + [(L, B)]]
    g["C"] = [_arc(MX, T + RX, RX, RX, 335, 180) + [(L, B - RX)] + _arc(MX, B - RX, RX, RX, 180, 25)]
    g["E"] = [[(R, T), (L, T), (L, B), (R, B)], [(L, MY), (36, MY)]]
    g["F"] = [[(R, T), (L, T), (L, B)], [(L, MY), (35, MY)]]
    g["G"] = [_arc(MX, T + RX, RX, RX, 335, 180) + [(L, B - RX)] + _arc(MX, B - RX, RX, RX, 180, 0) +
              [(R, 50), (25, 50)]]
    g["H"] = [[(L, T), (L, B)], [(R, T), (R, B)], [(L, MY), (R, MY)]]
    g["J"] = [[(R, T), (R, B - RX)] + _arc(MX, B - RX, RX, RX, 0, 180) + [(L, 58)]]
    g["K"] = [[(L, T), (L, B)], [(R, T), (L, 58)], [(17, 43), (R, B)]]
    g["L"] = [[(L, T), (L, B), (R, B)]]
    # plate M/W: vertical sides, the inner V reaches only about mid-height and is drawn thinner
    g["M"] = [[(L, B), (L, T)], [(R, T), (R, B)], ("thin", [(L + 1, T + 1), (MX, 52), (R - 1, T + 1)])]
    g["N"] = [[(L, B), (L, T), (R, B), (R, T)]]
    g["P"] = [[(L, B), (L, T), (23, T)] + _arc(23, 26, 17, 21, 270, 450) + [(L, 47)]]
    g["R"] = g["P"] + [[(21, 47), (R, B)]]
    g["S"] = [_arc(MX, 24, RX, 19, 340, 90) + _arc(MX, 64.5, RX, 20.5, 270, 510)]
    g["T"] = [[(L - 1, T), (R + 1, T)], [(MX, T), (MX, B)]]
    g["U"] = [[(L, T), (L, B - RX)] + _arc(MX, B - RX, RX, RX, 180, 0) + [(R, T)]]
    g["V"] = [[(L, T), (MX, B), (R, T)]]
    g["W"] = [[(L, T), (L, B)], [(R, B), (R, T)], ("thin", [(L + 1, B - 1), (MX, 37), (R - 1, B - 1)])]
    g["X"] = [[(L, T), (R, B)], [(R, T), (L, B)]]
    g["Y"] = [[(L, T), (MX, 47), (R, T)], [(MX, 47), (MX, B)]]
    g["Z"] = [[(L, T), (R, T), (L, B), (R, B)]]
    return g


GLYPHS = _glyphs()
# second shape variants seen on real plates (mixed in with the primary shapes)
GLYPHS_ALT = {
    "6": [_arc(MX, 60, RX, 25, 0, 360, 36), [(L + 0.5, 60), (L + 1.5, 38), (10, 21), (19, 9), (33, T)]],
    "9": [_arc(MX, 30, RX, 25, 0, 360, 36), [(R - 0.5, 30), (R - 1.5, 52), (35, 69), (26, 81), (12, B)]],
    # W as real crops show it: the sides lean in towards the foot and the inner V rises to about a third of the
    # height (the vertical-sided W above was read as N or M on real plates: 45 of the reader's serial misreads)
    "W": [[(L, T), (L + 5, B)], [(R, T), (R - 5, B)], [(L + 5, B - 1), (MX, 31), (R - 5, B - 1)]],
}
assert set(GLYPHS) == set(DIGITS + LETTERS), set(DIGITS + LETTERS) ^ set(GLYPHS)

PPM = 0.5       # working resolution: pixels per mm of plate
SS = 8          # supersampling when pre-rendering a glyph


def render_stroke_glyph(ch, cell_w_mm, stroke_mm, ppm=PPM, alt=False):
    """Anti-aliased mask (float32 0..1) of a stroke glyph in a cell_w_mm x 90 mm cell."""
    s = ppm * SS
    w, h = int(round(cell_w_mm * s)), int(round(90 * s))
    img = np.zeros((h, w), np.uint8)
    sx = cell_w_mm / 45.0
    # keep the outer edge on the cell edge whatever the stroke width
    def tx(p):
        x = (p[0] - 5) / 35.0 * (cell_w_mm - stroke_mm) + stroke_mm / 2
        y = (p[1] - 5) / 80.0 * (90 - stroke_mm) + stroke_mm / 2
        return (int(round(x * s * 16)), int(round(y * s * 16)))
    th = max(1, int(round(stroke_mm * s)))
    for poly in (GLYPHS_ALT if alt else GLYPHS)[ch]:
        t = th
        if isinstance(poly, tuple):
            poly, t = poly[1], max(1, int(round(th * 0.88)))
        pts = np.array([tx(p) for p in poly], np.int32)
        cv2.polylines(img, [pts], False, 255, t, cv2.LINE_AA, shift=4)
        # round joins: cv2 thick polylines already cap with discs
    del sx
    out = cv2.resize(img, (max(1, int(round(cell_w_mm * ppm))), max(1, int(round(90 * ppm)))),
                     interpolation=cv2.INTER_AREA)
    return out.astype(np.float32) / 255.0


def font_has(font, ch):
    """False when the font draws its missing-glyph box for ch (compared with a private-use code point)."""
    a, b = font.getmask(ch), font.getmask("\ue000")
    return a.size != b.size or not (np.array(a) == np.array(b)).all()


_SKELETONS = {}


def render_font_glyph(ch, font, cell_w_mm, ppm=PPM, fill=0.97, weight=0, mono=0):
    """Mask of a font glyph stretched to fill the cell (CJK provinces, specials).

    mono > 0 redraws the glyph as a monoline: its skeleton widened by a square of side 2*mono+1 (font pixels at
    200 pt). The plates' own province typeface has strokes of one width with square ends, which none of Debian's
    fonts has; its monoline versions come closer to it than their weight variants do."""
    size = 256
    img = Image.new("L", (size * 2, size * 2), 0)
    d = ImageDraw.Draw(img)
    d.text((size // 2, size // 2), ch, font=font, fill=255)
    a = np.array(img)
    if mono:
        key = (ch, id(font))
        if key not in _SKELETONS:
            _SKELETONS[key] = cv2.ximgproc.thinning((a > 127).astype(np.uint8) * 255)
        a = cv2.dilate(_SKELETONS[key], cv2.getStructuringElement(cv2.MORPH_RECT, (2 * mono + 1, 2 * mono + 1)))
    elif weight:  # simulate other font weights: dilate (>0) or erode (<0) at high resolution
        k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * abs(weight) + 1, 2 * abs(weight) + 1))
        a = cv2.dilate(a, k) if weight > 0 else cv2.erode(a, k)
    ys, xs = np.nonzero(a > 20)
    a = a[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
    w, h = max(1, int(round(cell_w_mm * ppm))), max(1, int(round(90 * ppm)))
    gw, gh = max(1, int(round(w * fill))), max(1, int(round(h * fill)))
    a = cv2.resize(a, (gw, gh), interpolation=cv2.INTER_AREA)
    out = np.zeros((h, w), np.uint8)
    ox, oy = (w - gw) // 2, (h - gh) // 2
    out[oy:oy + gh, ox:ox + gw] = a
    return out.astype(np.float32) / 255.0


class GlyphBank:
    """Pre-rendered masks: for each char, several variants (stroke widths / fonts) per cell width."""

    def __init__(self, ppm=PPM):
        self.ppm = ppm
        self.bank = {}
        cjk = [ImageFont.truetype(p, 200, index=i) for p, i in CJK_FONTS if os.path.exists(p)]
        self.din = ImageFont.truetype(DIN_FONT, 200) if os.path.exists(DIN_FONT) else None
        for cw in (45.0, 43.0):
            for ch in DIGITS + LETTERS:
                vs = [render_stroke_glyph(ch, cw, sw, ppm) for sw in (8.5, 10.0, 11.5)]
                if ch in GLYPHS_ALT:
                    vs += [render_stroke_glyph(ch, cw, sw, ppm, alt=True) for sw in (8.5, 10.0, 11.5)]
                self.bank[(ch, cw)] = vs
                # a DIN variant now and then (letters it draws close to plate shapes only)
                if self.din is not None and ch in "2458ABCEFGHKLNPRSTUVXYZ":
                    self.bank[(ch, cw, "din")] = [render_font_glyph(ch, self.din, cw, ppm, 1.0)]
            for ch in PROVINCES + SPECIALS:
                self.bank[(ch, cw)] = [render_font_glyph(ch, f, cw, ppm, fl, wt)
                                       for f in cjk if font_has(f, ch)
                                       for fl in (0.85, 0.93, 1.0) for wt in (-4, -2, 0, 3, 6)]
                if MONOLINE:
                    self.bank[(ch, cw)] += [render_font_glyph(ch, f, cw, ppm, fl, mono=r)
                                            for f in cjk if font_has(f, ch)
                                            for fl in (0.9, 1.0) for r in (6, 9, 12)]

    def get(self, ch, cw, rng):
        if (ch, cw, "din") in self.bank and rng.random() < 0.12:
            return self.bank[(ch, cw, "din")][0]
        vs = self.bank[(ch, cw)]
        return vs[rng.randrange(len(vs))]


# ----------------------------------------------------------------------------------------
# Labels

def random_province(rng):
    if rng.random() < HU_PRIOR:
        return "沪"
    return rng.choice(PROVINCES.replace("沪", ""))


def random_serial(rng, n=5):
    nl = rng.choices([0, 1, 2, 3], [0.35, 0.35, 0.24, 0.06])[0]
    pos = set(rng.sample(range(n), nl))
    return "".join(rng.choice(LETTERS) if i in pos else rng.choice(DIGITS) for i in range(n))


def random_plate(rng):
    """Returns (text, kind). kind selects colours/layout."""
    r = rng.random()
    p = random_province(rng)
    l2 = rng.choice(SECOND_LETTERS[p])
    if r < 0.38:
        return p + l2 + random_serial(rng), "blue"
    if r < 0.55:
        return p + l2 + random_serial(rng), "yellow"
    if r < 0.80:   # small new-energy: D/F at position 3, then letter/digit, then 4 digits
        s = rng.choice("DF") + (rng.choice(LETTERS) if rng.random() < 0.3 else rng.choice(DIGITS)) + \
            "".join(rng.choice(DIGITS) for _ in range(4))
        return p + l2 + s, "green_small"
    if r < 0.88:   # large new-energy: 5 digits then D/F
        return p + l2 + "".join(rng.choice(DIGITS) for _ in range(5)) + rng.choice("DF"), "green_large"
    if r < 0.92:
        return p + l2 + random_serial(rng), "white"
    if r < 0.95:
        return p + l2 + random_serial(rng), "black"
    # specials
    s = rng.random()
    if s < 0.3:
        return p + l2 + random_serial(rng, 4) + "学", "yellow"
    if s < 0.55:
        return p + l2 + random_serial(rng, 4) + "警", "white_police"
    if s < 0.7:
        return p + l2 + random_serial(rng, 4) + "挂", "yellow"
    if s < 0.82:
        return "粤Z" + random_serial(rng, 4) + rng.choice("港澳"), "black"
    if s < 0.91:
        return "使" + "".join(rng.choice(DIGITS) for _ in range(6)), "black_embassy"
    return p + l2 + "".join(rng.choice(DIGITS) for _ in range(4)) + "领", "black"


# Plate colours (BGR). Real sheeting varies a lot; jittered per sample.
BG = {
    "blue": (170, 60, 20), "yellow": (20, 180, 235), "white": (235, 235, 235),
    "white_police": (235, 235, 235), "black": (25, 25, 25), "black_embassy": (25, 25, 25),
}
FG = {
    "blue": (245, 245, 245), "yellow": (15, 15, 15), "white": (15, 15, 15),
    "white_police": (15, 15, 15), "black": (240, 240, 240), "black_embassy": (240, 240, 240),
    "green_small": (15, 15, 15), "green_large": (15, 15, 15),
}


def layout(n):
    """Character boxes in mm (x0, width) plus plate width and the dot centre x."""
    if n == 8:
        W, cw, sp, gap = 480.0, 43.0, 9.0, 49.0
    else:
        W, cw, sp, gap = 440.0, 45.0, 12.0, 34.0
    x = (W - (n * cw + (n - 2) * sp + gap)) / 2
    boxes = []
    for i in range(n):
        boxes.append((x, cw))
        x += cw + (gap if i == 1 else sp)
    dot = boxes[1][0] + cw + gap / 2
    return W, cw, boxes, dot


def _jit(c, rng, a):
    return tuple(int(min(255.0, max(0.0, v + rng.uniform(-a, a)))) for v in c)


def elastic(mask, rng, alpha=None, sigma=None):
    """A smooth random displacement of a glyph mask (Simard et al. 2003): the province characters come from a few
    general fonts, not the plate's own, so their strokes are moved about by a pixel or two to stop the reader learning
    one font's details instead of the character's shape."""
    h, w = mask.shape
    alpha = alpha if alpha is not None else rng.uniform(0.8, 2.2)     # px of displacement at PPM
    sigma = sigma if sigma is not None else rng.uniform(2.5, 5.0)     # px of smoothness
    g = np.random.default_rng(rng.getrandbits(32))
    d = g.uniform(-1, 1, (2, h, w)).astype(np.float32)
    dx = cv2.GaussianBlur(d[0], (0, 0), sigma)
    dy = cv2.GaussianBlur(d[1], (0, 0), sigma)
    n = max(1e-6, float(np.abs(np.stack([dx, dy])).max()))
    xs, ys = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    return cv2.remap(mask, xs + dx * (alpha / n), ys + dy * (alpha / n), cv2.INTER_LINEAR,
                     borderMode=cv2.BORDER_CONSTANT, borderValue=0)


def draw_plate(text, kind, bank, rng):
    """Colour plate image (BGR uint8) at PPM px/mm, exactly the plate's outer extent."""
    n = len(text)
    W, cw, boxes, dotx = layout(n)
    ppm = bank.ppm
    pw, ph = int(round(W * ppm)), int(round(140 * ppm))
    yy = np.linspace(0, 1, ph, dtype=np.float32)[:, None, None]
    if kind == "green_small":
        top = np.array(_jit((225, 245, 225), rng, 20), np.float32)
        bot = np.array(_jit((90, 200, 60), rng, 30), np.float32)
        g0 = rng.uniform(0.0, 0.35)
        t = np.clip((yy - g0) / (1 - g0), 0, 1)
        img = np.broadcast_to(top * (1 - t) + bot * t, (ph, pw, 3)).copy()
    elif kind == "green_large":
        yel = np.array(_jit((20, 200, 225), rng, 25), np.float32)
        grn = np.array(_jit((80, 190, 50), rng, 30), np.float32)
        img = np.empty((ph, pw, 3), np.float32)
        split = int(round((boxes[2][0] - 10) * ppm))
        img[:, :split] = yel
        img[:, split:] = grn
    else:
        img = np.empty((ph, pw, 3), np.float32)
        img[:] = np.array(_jit(BG[kind], rng, 30), np.float32)
    fg = np.array(_jit(FG[kind], rng, 25), np.float32)
    mask = np.zeros((ph, pw), np.float32)
    red_mask = np.zeros((ph, pw), np.float32)
    y0 = int(round(25 * ppm)) + rng.randint(-1, 1)
    for i, ch in enumerate(text):
        x0, w = boxes[i]
        gm = bank.get(ch, cw, rng)
        if ch not in DIGITS + LETTERS and rng.random() < 0.6:
            gm = elastic(gm, rng)
        xs = int(round(x0 * ppm)) + rng.randint(-1, 1)
        gh, gw = gm.shape
        xs = max(0, min(pw - gw, xs))
        ys = max(0, min(ph - gh, y0))
        red = (ch == "警" or (ch == "使" and i == 0))
        tgt = red_mask if red else mask
        np.maximum(tgt[ys:ys + gh, xs:xs + gw], gm, out=tgt[ys:ys + gh, xs:xs + gw])
    # separator dot
    r = max(1, int(round(5 * ppm)))
    cv2.circle(mask, (int(round(dotx * ppm)), int(round(70 * ppm))), r, 1.0, -1, cv2.LINE_AA)
    # frame (raised rim in the text colour) and rivet slots
    if rng.random() < 0.85:
        inset = rng.uniform(1.5, 4.0) * ppm
        cv2.rectangle(mask, (int(inset), int(inset)), (int(pw - 1 - inset), int(ph - 1 - inset)), 1.0,
                      max(1, int(round(rng.uniform(0.6, 1.6)))), cv2.LINE_AA)
    if rng.random() < 0.6:
        for xm in (dotx - 5, boxes[min(5, n - 2)][0] - 6):
            for ym in (7.0, 133.0):
                cv2.ellipse(mask, (int(xm * ppm), int(ym * ppm)), (max(1, int(7 * ppm)), max(1, int(2.2 * ppm))),
                            0, 0, 360, 1.0, -1, cv2.LINE_AA)
    m = mask[:, :, None]
    img = img * (1 - m) + fg * m
    if red_mask.any():
        rm = red_mask[:, :, None]
        img = img * (1 - rm) + np.array(_jit((30, 30, 210), rng, 25), np.float32) * rm
    # screws over the rivet slots
    if rng.random() < 0.35:
        for xm in (dotx - 5, boxes[min(5, n - 2)][0] - 6):
            for ym in (7.0, 133.0):
                if rng.random() < 0.7:
                    c = rng.uniform(90, 220)
                    cv2.circle(img, (int(xm * ppm), int(ym * ppm)), max(1, int(rng.uniform(3, 6) * ppm)),
                               (c, c, c), -1, cv2.LINE_AA)
    return np.clip(img, 0, 255).astype(np.uint8)


# ----------------------------------------------------------------------------------------
# Scene / augmentation

def random_background(w, h, rng):
    base = np.array([rng.uniform(0, 255) for _ in range(3)], np.float32)
    small = np.random.default_rng(rng.randrange(1 << 30)).normal(0, rng.uniform(5, 50), (4, 6, 3)).astype(np.float32)
    bg = cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC) + base
    if rng.random() < 0.5:  # bumper / body edges
        for _ in range(rng.randint(1, 3)):
            y = rng.randrange(h)
            c = rng.uniform(0, 255)
            cv2.line(bg, (0, y), (w, y + rng.randint(-h // 4, h // 4)), (c, c, c), rng.randint(1, max(1, h // 8)))
    return bg


def motion_kernel(k, ang):
    ker = np.zeros((k, k), np.float32)
    c = k // 2
    dx, dy = math.cos(math.radians(ang)), math.sin(math.radians(ang))
    cv2.line(ker, (int(round(c - dx * c)), int(round(c - dy * c))), (int(round(c + dx * c)), int(round(c + dy * c))), 1.0, 1)
    return ker / max(ker.sum(), 1e-6)


def disk_kernel(r):
    k = 2 * int(math.ceil(r)) + 1
    ker = np.zeros((k, k), np.float32)
    cv2.circle(ker, (k // 2, k // 2), max(1, int(round(r))), 1.0, -1, cv2.LINE_AA)
    return ker / ker.sum()


class Synth:
    def __init__(self, out_w=96, out_h=32, seed=None, margin=(0.06, 0.12)):
        self.rng = random.Random(seed)
        cv2.setRNGSeed(int(seed or 0) & 0x7fffffff)
        self.bank = GlyphBank()
        self.ow, self.oh = out_w, out_h
        self.margin = margin

    def sample(self, text=None, kind=None, clean=False, mild=False):
        """clean: contract margins, no augmentation. mild: gate-like conditions (rectified crop,
        margins near the contract, plate 80-200 px wide, light blur/noise/JPEG) -- used only for
        the 'synthetic gate-like' evaluation set, training always uses the full augmentation."""
        rng = self.rng
        if text is None:
            text, kind = random_plate(rng)
        plate = draw_plate(text, kind, self.bank, rng)
        ph, pw = plate.shape[:2]
        if not clean and not mild:
            plate = self._plate_surface(plate, rng)

        # -- geometry: where the plate corners land in the crop ---------------------------
        # crop margins as fractions of plate width/height, per side, around the contract value
        if clean:
            mx = [self.margin[0]] * 2
            my = [self.margin[1]] * 2
        elif mild:
            mx = [rng.uniform(0.03, 0.09) for _ in range(2)]
            my = [rng.uniform(0.06, 0.18) for _ in range(2)]
        else:
            mx = [rng.uniform(-0.02, 0.14) if rng.random() < 0.93 else rng.uniform(-0.05, -0.01) for _ in range(2)]
            my = [rng.uniform(-0.03, 0.25) if rng.random() < 0.93 else rng.uniform(-0.08, -0.02) for _ in range(2)]
        # target plate width in pixels at native camera resolution (then resized to ow x oh)
        tw = self.ow * 1.3 if clean else rng.uniform(80, 200) if mild else (rng.uniform(55, 120) if rng.random() < 0.5 else rng.uniform(120, 260))
        src = np.float32([[0, 0], [pw, 0], [pw, ph], [0, ph]])
        aspect = ph / pw
        # distorted quad in a unit frame (plate width 1)
        q = np.float32([[0, 0], [1, 0], [1, aspect], [0, aspect]])
        if not clean:
            mode = 0.0 if mild else rng.random()
            if mode < 0.45:    # rectified by the plate finder: small residual error
                q += np.float32([[rng.uniform(-0.02, 0.02), rng.uniform(-0.025, 0.025)] for _ in range(4)])
            else:              # unrectified (bbox crops): rotation, shear, yaw/pitch up to ~25 deg
                ang = math.radians(rng.uniform(-10, 10))
                shear = rng.uniform(-0.25, 0.25)
                yaw = rng.uniform(-0.22, 0.22)   # far side shrinks
                pitch = rng.uniform(-0.08, 0.08)
                q[:, 0] += shear * (q[:, 1] - aspect / 2)
                hscale = 1 + yaw * (q[:, 0] - 0.5) * 2
                q[:, 1] = aspect / 2 + (q[:, 1] - aspect / 2) * hscale
                q[:, 0] = 0.5 + (q[:, 0] - 0.5) * (1 + pitch * (q[:, 1] - aspect / 2) / aspect * 2)
                c, s = math.cos(ang), math.sin(ang)
                ctr = np.float32([0.5, aspect / 2])
                q = (q - ctr) @ np.float32([[c, s], [-s, c]]) + ctr
                q += np.float32([[rng.uniform(-0.01, 0.01), rng.uniform(-0.01, 0.01)] for _ in range(4)])
        x0, y0 = q[:, 0].min(), q[:, 1].min()
        x1, y1 = q[:, 0].max(), q[:, 1].max()
        bw, bh = x1 - x0, y1 - y0
        cx0, cx1 = x0 - mx[0] * bw, x1 + mx[1] * bw
        cy0, cy1 = y0 - my[0] * bh, y1 + my[1] * bh
        cw_px = tw * (cx1 - cx0) / bw
        ch_px = cw_px * self.oh / self.ow  # crop resized to ow x oh: keep the crop's own scale
        if not clean:
            ch_px *= rng.uniform(0.92, 1.08) if mild else rng.uniform(0.85, 1.2)  # aspect distortion of the finder's crop
        W, H = max(8, int(round(cw_px))), max(6, int(round(ch_px)))
        dst = np.float32([[(px - cx0) / (cx1 - cx0) * W, (py - cy0) / (cy1 - cy0) * H] for px, py in q])
        M = cv2.getPerspectiveTransform(src, dst)
        if clean:
            bg = np.full((H, W, 3), 128, np.float32)
        else:
            bg = random_background(W, H, rng)
        # pre-blur the plate when shrinking a lot (anti-alias, like a camera)
        scale = W / pw
        pl = plate
        if scale < 0.7:
            sig = 0.45 / max(scale, 1e-3)
            pl = cv2.GaussianBlur(plate, (0, 0), sig * rng.uniform(0.6, 1.0))
        warped = cv2.warpPerspective(pl, M, (W, H), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
        m = cv2.warpPerspective(np.full((ph, pw), 1.0, np.float32), M, (W, H), flags=cv2.INTER_LINEAR)
        img = bg * (1 - m[:, :, None]) + warped.astype(np.float32) * m[:, :, None]

        if mild:
            img = img * np.float32([rng.uniform(0.85, 1.15) for _ in range(3)])
            img = (img - 128) * rng.uniform(0.8, 1.1) + 128 + rng.uniform(-20, 20)
            if rng.random() < 0.3:
                img = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.3, 0.7) * max(1.0, W / 120))
            nz = np.empty(img.shape, np.float32)
            cv2.randn(nz, 0.0, rng.uniform(1, 5))
            img = np.clip(img + nz, 0, 255).astype(np.uint8)
            ok, enc = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, rng.randint(60, 90)])
            img = cv2.imdecode(enc, cv2.IMREAD_COLOR)
        elif not clean:
            img = self._photometric(img, rng)
            img = np.clip(img, 0, 255).astype(np.uint8)
            if rng.random() < 0.7:
                q_ = rng.randint(20, 90)
                ok, enc = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, q_])
                img = cv2.imdecode(enc, cv2.IMREAD_COLOR)
        img = np.clip(img, 0, 255).astype(np.uint8)
        grey = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
        interp = cv2.INTER_AREA if (clean or rng.random() < 0.5) else cv2.INTER_LINEAR
        grey = cv2.resize(grey, (self.ow, self.oh), interpolation=interp)
        return grey, text, kind

    # surface effects in plate coordinates
    def _plate_surface(self, plate, rng):
        img = plate.astype(np.float32)
        ph, pw = img.shape[:2]
        if rng.random() < 0.3:  # dirt blobs
            for _ in range(rng.randint(1, 6)):
                c = (rng.randrange(pw), rng.randrange(ph))
                ax = (rng.randint(2, max(3, pw // 8)), rng.randint(1, max(2, ph // 5)))
                col = np.array([rng.uniform(30, 110)] * 3, np.float32) * np.float32([0.8, 0.95, 1.1])
                lay = img.copy()
                cv2.ellipse(lay, c, ax, rng.uniform(0, 180), 0, 360, col.tolist(), -1, cv2.LINE_AA)
                a = rng.uniform(0.2, 0.6)
                img = img * (1 - a) + lay * a
        if rng.random() < 0.25:  # uniform grime / fading
            a = rng.uniform(0.05, 0.35)
            img = img * (1 - a) + np.float32(rng.uniform(60, 160)) * a
        return img

    def _photometric(self, img, rng):
        H, W = img.shape[:2]
        # partial shadow
        if rng.random() < 0.25:
            pts = np.array([[rng.uniform(-W, 2 * W), rng.uniform(-H, 2 * H)] for _ in range(4)], np.int32)
            m = np.zeros((H, W), np.float32)
            cv2.fillConvexPoly(m, cv2.convexHull(pts), 1.0)
            m = cv2.GaussianBlur(m, (0, 0), max(0.5, W * 0.02))
            img = img * (1 - m[:, :, None] * rng.uniform(0.3, 0.7))
        # glare
        if rng.random() < 0.2:
            m = np.zeros((H, W), np.float32)
            cv2.ellipse(m, (rng.randrange(W), rng.randrange(H)), (rng.randint(2, max(3, W // 3)), rng.randint(2, max(3, H // 2))),
                        rng.uniform(0, 180), 0, 360, 1.0, -1)
            m = cv2.GaussianBlur(m, (0, 0), max(0.5, W * 0.04))
            img = img + m[:, :, None] * rng.uniform(60, 200)
        # colour cast / white balance
        img = img * np.float32([rng.uniform(0.75, 1.25) for _ in range(3)])
        # IR monochrome
        if rng.random() < 0.12:
            g = img @ np.float32([rng.random() for _ in range(3)]) / 1.5
            if rng.random() < 0.3:
                g = 255 - g
            img = np.repeat(g[:, :, None], 3, axis=2)
        # low light / contrast / gamma
        r = rng.random()
        if r < 0.15:
            img = img * rng.uniform(0.2, 0.55)
        elif r < 0.35:
            img = img * rng.uniform(1.1, 1.6)  # over-exposure (clipped)
        c = rng.uniform(0.6, 1.2)
        img = (img - 128) * c + 128 + rng.uniform(-30, 30)
        if rng.random() < 0.5:
            img = 255 * (np.clip(img, 0, 255) / 255) ** rng.uniform(0.6, 1.6)
        # blur
        r = rng.random()
        if r < 0.25:
            img = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.3, 1.1) * max(1.0, W / 120))
        elif r < 0.37:
            k = 2 * int(rng.uniform(1, max(1.5, 0.025 * W))) + 1
            img = cv2.filter2D(img, -1, motion_kernel(k, rng.uniform(-20, 20) if rng.random() < 0.8 else rng.uniform(0, 180)))
        elif r < 0.45:
            img = cv2.filter2D(img, -1, disk_kernel(rng.uniform(0.8, 1.8) * max(1.0, W / 120)))
        # sensor noise
        if rng.random() < 0.7:
            nz = np.empty(img.shape, np.float32)
            cv2.randn(nz, 0.0, rng.uniform(1, 10))
            img = img + nz
        return img


def export_glyphs_inc(path):
    """The plate-font stroke glyphs as a C++ initialiser list for sim/plate_synth.cpp (the lane clips of the
    demo, the daemon's tests and its benchmark draw plates in the plate font with it)."""
    def strokes(polys):
        out = []
        for poly in polys:
            thin = isinstance(poly, tuple)
            pts = poly[1] if thin else poly
            out.append("{%s, {%s}}" % ("true" if thin else "false",
                                        ", ".join("{%.2f, %.2f}" % (x, y) for x, y in pts)))
        return ", ".join(out)
    lines = ["// Generated by vision/training/plate_synth.py --export-glyphs; do not edit. The plate font's",
             "// letters and digits as centre-line strokes in mm, in a 45 x 90 mm cell whose centre-line box is",
             "// x %.0f..%.0f, y %.0f..%.0f (a 10 mm stroke then fills the cell). {thin, points}: thin strokes are drawn" % (L, R, T, B),
             "// 0.88 as wide. Entries: {character, alternative shape?, {strokes}}."]
    for alt, table in ((False, GLYPHS), (True, GLYPHS_ALT)):
        for ch in sorted(table):
            lines.append('{"%s", %s, {%s}},' % (ch, "true" if alt else "false", strokes(table[ch])))
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    import argparse
    import sys
    import time
    if len(sys.argv) == 3 and sys.argv[1] == "--export-glyphs":
        export_glyphs_inc(sys.argv[2])
        sys.exit(0)
    ap = argparse.ArgumentParser(description="Write a contact sheet of synthetic plates / time the generator "
                                             "(or: --export-glyphs FILE.inc, the stroke glyphs for C++)")
    ap.add_argument("--out", default="runs/synth_sheet.png")
    ap.add_argument("--n", type=int, default=48)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--clean", action="store_true")
    ap.add_argument("--time", type=int, default=0)
    a = ap.parse_args()
    s = Synth(seed=a.seed)
    tiles = []
    for i in range(a.n):
        g, t, k = s.sample(clean=a.clean)
        tiles.append(cv2.resize(g, (192, 64), interpolation=cv2.INTER_NEAREST))
        print(t, k)
    rows = [np.hstack(tiles[i:i + 4]) for i in range(0, len(tiles) - len(tiles) % 4, 4)]
    os.makedirs(os.path.dirname(a.out) or ".", exist_ok=True)
    cv2.imwrite(a.out, np.vstack(rows))
    if a.time:
        t0 = time.time()
        for _ in range(a.time):
            s.sample()
        print("%.0f samples/s" % (a.time / (time.time() - t0)))
