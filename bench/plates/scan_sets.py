#!/usr/bin/python3
"""Plate sets read as the issue's owners read them: `voucher-gate scan --json` over every image of a labelled folder,
the main plate's text among the image's reads (the reads scan reports are the ones the daemon would accept, at
lanes.min_plate_confidence's default), wrong = an image with a read that is none of its labelled plates.

    bench/plates/scan_sets.py build/default/cli/voucher-gate /work/shared/data/plates/easypr_dev [DIR...] [--errors]

A folder holds labels.csv with `filename` and `plate_text` (and optionally `other_plates`, space- or
semicolon-separated): easypr_dev, ccpd_dev and bench/plates/kind_scenes.py's folders have that form.
"""
import csv
import json
import os
import subprocess
import sys


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    errors = "--errors" in sys.argv
    scan, folders = args[0], args[1:]
    print("| set | n | read (label among the reads) | wrong (a read none of the labels) | no read | ms mean |")
    print("|---|---|---|---|---|---|")
    for folder in folders:
        with open(os.path.join(folder, "labels.csv"), encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        labels = {}
        for r in rows:
            others = (r.get("other_plates") or "").replace(";", " ").split()
            labels[r["filename"]] = (r["plate_text"], set(others) | {r["plate_text"]})
        images = [os.path.join(folder, name) for name in labels]
        out = subprocess.run([scan, "scan", "--json", *images], capture_output=True, text=True, check=False)
        read = wrong = none = 0
        ms = []
        for line in out.stdout.splitlines():
            j = json.loads(line)
            name = os.path.basename(j["image"])
            main_plate, known = labels[name]
            texts = [p["text"] for p in j.get("plates", [])]
            ms.append(j.get("ms", 0.0))
            ok = main_plate in texts
            bad = any(t not in known for t in texts)
            read += ok
            wrong += bad
            none += not texts
            if errors and (not ok or bad):
                print("  %s label %s reads %s" % (name, main_plate,
                      " ".join("%s(%.2f)" % (p["text"], p["confidence"]) for p in j.get("plates", []))))
        n = len(labels)
        print("| %s | %d | %.1f%% (%d) | %.1f%% (%d) | %d | %.1f |" % (os.path.basename(folder.rstrip("/")), n,
              100.0 * read / n, read, 100.0 * wrong / n, wrong, none, sum(ms) / max(1, len(ms))))


if __name__ == "__main__":
    main()
