#!/usr/bin/env python3
"""Decode-rate report: run `scanpay decode --json` over the QR sample dataset.

For every folder of the dataset (default ../shared/datasets/qr-samples beside
the repository) it runs the CLI once on all the folder's images and prints:
images, read (exact expected text, byte for byte), wrong (a code reported but
not the expected text), false positives (any code on a photo without one),
errors (unreadable images or refused frames), and the median and p99 of the
CLI's own per-image scan time in ms (image decoding excluded by the CLI).

Folders `qrcode-*` hold IMAGE + IMAGE.txt (the expected text). A
structured-append part `01-02.png` has no .txt of its own: the parts of group
`01` count as read when the texts of the parts, in file-name order, join to
`01.txt`. Folders `falsepositives-*` hold photos with no code.

Usage:
  scripts/decode-report.py [--bin target/release/scanpay] [DATASET_DIR]

Standard library only. Exit status 0 if the report was produced, 2 if the
CLI or the dataset is missing.
"""

import argparse
import json
import math
import os
import statistics
import subprocess
import sys

IMAGE_EXTS = {".png", ".jpg", ".jpeg", ".webp"}
BATCH = 200  # images per CLI call, to stay far below argument-length limits


def repo_root():
    return os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def expected_text(path):
    """Expected bytes for an image, and the structured-append group key."""
    stem, _ = os.path.splitext(path)
    txt = stem + ".txt"
    if os.path.isfile(txt):
        with open(txt, "rb") as f:
            return f.read(), None
    base = os.path.basename(stem)
    if "-" in base:
        group = os.path.join(os.path.dirname(stem), base.rsplit("-", 1)[0])
        if os.path.isfile(group + ".txt"):
            with open(group + ".txt", "rb") as f:
                return f.read(), group
    return None, None


def run_cli(binary, images):
    """Map image path -> parsed JSON line from the CLI."""
    results = {}
    for start in range(0, len(images), BATCH):
        chunk = images[start:start + BATCH]
        # The CLI exits 1 when an image is unreadable; its lines still count.
        proc = subprocess.run(
            [binary, "decode", "--json", *chunk],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            check=False,
        )
        for line in proc.stdout.decode("utf-8", "replace").splitlines():
            line = line.strip()
            if not line:
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(obj, dict) and "file" in obj:
                results[obj["file"]] = obj
        for path in chunk:
            if path not in results:
                err = proc.stderr.decode("utf-8", "replace").strip()[-200:]
                results[path] = {"file": path, "codes": [], "ms": None,
                                 "error": "no output from CLI: " + err}
    return results


def texts(result):
    out = []
    for code in result.get("codes") or []:
        text = code.get("text") if isinstance(code, dict) else None
        if isinstance(text, str):
            out.append(text.encode("utf-8"))
    return out


def p99(values):
    """Nearest-rank 99th percentile."""
    ordered = sorted(values)
    rank = max(1, math.ceil(0.99 * len(ordered)))
    return ordered[rank - 1]


def fmt_ms(v):
    return "-" if v is None else f"{v:.2f}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bin", default=os.path.join(repo_root(), "target", "release", "scanpay"),
                        help="scanpay CLI binary (default: target/release/scanpay)")
    parser.add_argument("dataset", nargs="?",
                        default=os.path.join(repo_root(), "..", "shared", "datasets", "qr-samples"),
                        help="dataset folder (default: ../shared/datasets/qr-samples)")
    parser.add_argument("--misses", action="store_true", help="list the images not read")
    args = parser.parse_args()

    if not (os.path.isfile(args.bin) and os.access(args.bin, os.X_OK)):
        print(f"decode-report: CLI binary not found: {args.bin} "
              "(build it with `cargo build --release -p scanpay-cli`, or pass --bin)",
              file=sys.stderr)
        return 2
    if not os.path.isdir(args.dataset):
        print(f"decode-report: dataset folder not found: {args.dataset}", file=sys.stderr)
        return 2

    folders = sorted(d for d in os.listdir(args.dataset)
                     if os.path.isdir(os.path.join(args.dataset, d)))
    header = f"{'folder':<18} {'images':>6} {'read':>5} {'wrong':>5} {'fp':>4} {'errors':>6} {'median ms':>10} {'p99 ms':>8}"
    print(header)
    print("-" * len(header))
    totals = {"images": 0, "read": 0, "wrong": 0, "fp": 0, "errors": 0}
    all_ms = []
    misses = []
    for folder in folders:
        path = os.path.join(args.dataset, folder)
        images = sorted(os.path.join(path, f) for f in os.listdir(path)
                        if os.path.splitext(f)[1].lower() in IMAGE_EXTS)
        if not images:
            continue
        positive = folder.startswith("qrcode-")
        results = run_cli(args.bin, images)
        row = {"images": len(images), "read": 0, "wrong": 0, "fp": 0, "errors": 0}
        ms = [r["ms"] for r in results.values() if isinstance(r.get("ms"), (int, float))]

        groups = {}
        for image in images:
            result = results[image]
            if "error" in result:
                row["errors"] += 1
            found = texts(result)
            if not positive:
                if result.get("codes"):
                    row["fp"] += 1
                continue
            expected, group = expected_text(image)
            if expected is None:
                continue
            if group is not None:
                groups.setdefault(group, (expected, []))[1].append((image, found))
                continue
            if expected in found:
                row["read"] += 1
            else:
                misses.append(image)
                if found:
                    row["wrong"] += 1
        for expected, parts in groups.values():
            joined = b"".join(found[0] if found else b"" for _, found in parts)
            if joined == expected:
                row["read"] += len(parts)
            else:
                misses.extend(image for image, _ in parts)

        for k in totals:
            totals[k] += row[k]
        all_ms.extend(ms)
        med = statistics.median(ms) if ms else None
        print(f"{folder:<18} {row['images']:>6} {row['read'] if positive else '-':>5} "
              f"{row['wrong'] if positive else '-':>5} {row['fp'] if not positive else '-':>4} "
              f"{row['errors']:>6} {fmt_ms(med):>10} {fmt_ms(p99(ms) if ms else None):>8}")
    print("-" * len(header))
    med = statistics.median(all_ms) if all_ms else None
    print(f"{'total':<18} {totals['images']:>6} {totals['read']:>5} {totals['wrong']:>5} "
          f"{totals['fp']:>4} {totals['errors']:>6} {fmt_ms(med):>10} "
          f"{fmt_ms(p99(all_ms) if all_ms else None):>8}")
    if args.misses and misses:
        print("\nnot read:")
        for m in misses:
            print("  " + m)
    return 0


if __name__ == "__main__":
    sys.exit(main())
