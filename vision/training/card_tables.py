"""Print the model card's accuracy tables (markdown) from an evaluate.py --json result.

    /usr/bin/python3 card_tables.py runs/eval.json
"""
import json
import sys

NAMES = {"lprnet_crops": "lprnet_crops eval part (412 real crops, mostly 皖, blue)",
         "easypr_dev": "easypr_dev GT crops (116 real plates: 106 blue, 10 yellow)",
         "ccpd_dev": "ccpd_dev GT crops (14 real plates: 13 blue, 1 green)",
         "synthetic": "synthetic held-out, training distribution (1 600)",
         "synthetic_gate": "synthetic gate-like (1 200)"}


def pct(v):
    return "%.1f%%" % (100 * v)


def main(path):
    r = json.load(open(path, encoding="utf-8"))
    print("| set | exact | province | w/o province | char | per colour (exact) | accepted @0.8 | accepted right | confident-wrong @0.8 |")
    print("|---|---|---|---|---|---|---|---|---|")
    for k in ["lprnet_crops", "easypr_dev", "ccpd_dev", "synthetic", "synthetic_gate"]:
        if k not in r:
            continue
        x = r[k]
        pc = ", ".join("%s %s" % (c, v) for c, v in x["per_colour"].items())
        print("| %s | **%s** | %s | %s | %s | %s | %s | %s | %s |" % (
            NAMES[k], pct(x["exact_match"]), pct(x["province_acc"]), pct(x["exact_ignoring_province"]),
            pct(x["char_acc"]), pc, pct(x["accepted_at_0.8"]), pct(x["accepted_exact"]), pct(x["confident_wrong"])))
    print()
    print("Minimum-character-confidence threshold sweep (accepted / confident-wrong, fractions of all plates):")
    print()
    print("| set | 0.50 | 0.80 | 0.90 | 0.95 |")
    print("|---|---|---|---|---|")
    for k in ["lprnet_crops", "easypr_dev", "ccpd_dev", "synthetic", "synthetic_gate"]:
        if k not in r:
            continue
        x = r[k]
        sw = x["threshold_sweep"]
        cells = ["%s / %s" % (pct(sw["0.50"]["accepted"]), pct(sw["0.50"]["confident_wrong"])),
                 "%s / %s" % (pct(x["accepted_at_0.8"]), pct(x["confident_wrong"])),
                 "%s / %s" % (pct(sw["0.90"]["accepted"]), pct(sw["0.90"]["confident_wrong"])),
                 "%s / %s" % (pct(sw["0.95"]["accepted"]), pct(sw["0.95"]["confident_wrong"]))]
        print("| %s | %s |" % (k, " | ".join(cells)))


if __name__ == "__main__":
    main(sys.argv[1])
