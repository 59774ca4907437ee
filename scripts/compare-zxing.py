#!/usr/bin/env python3
"""Side-by-side decode comparison: zxing-cpp against `scanpay decode --json`.

Both readers see the same images in the same run, so the machine's noise hits
both alike: quote the ratios, not the absolute times. For every folder of the
dataset (default ../shared/datasets/qr-samples) and every variant (upright,
rotated 90/180/270 clockwise, inverted = light-on-dark) the variant images are
written as PNG into a temporary folder, then:

- zxing-cpp reads each one (`zxingcpp.read_barcodes`, QR codes only, its
  default options, which include its own rotation and inversion tries); its
  time is measured around that call on an already-loaded luma image;
- `scanpay decode --json` reads them all; its time is the CLI's own `ms`
  (scanner only, image decoding excluded).

It prints, per folder and variant, the images read by each (exact expected
text, as in scripts/decode-report.py), false positives on the
`falsepositives-*` folders, the median and p99 ms of each, and ours/zxing
ratios; then a summary per variant. `--misses` lists, per variant, what one
reads and the other does not.

Setup (once):
  python3 -m venv target/venv-zxing
  target/venv-zxing/bin/pip install zxing-cpp pillow
  cargo build --release -p scanpay-cli
Usage:
  target/venv-zxing/bin/python scripts/compare-zxing.py [--variants upright,90,...]
      [--bin target/release/scanpay] [--misses] [DATASET_DIR]
"""

import argparse
import importlib.util
import math
import os
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location("decode_report", os.path.join(HERE, "decode-report.py"))
decode_report = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(decode_report)

try:
    import zxingcpp
    from PIL import Image, ImageOps
except ImportError as e:  # pragma: no cover - setup problem
    print(f"compare-zxing: {e}; install with target/venv-zxing/bin/pip install zxing-cpp pillow",
          file=sys.stderr)
    sys.exit(2)

VARIANTS = ["upright", "90", "180", "270", "inverted"]


def make_variant(img, variant):
    if variant == "upright":
        return img
    if variant == "90":
        return img.transpose(Image.Transpose.ROTATE_270)  # PIL rotates counter-clockwise
    if variant == "180":
        return img.transpose(Image.Transpose.ROTATE_180)
    if variant == "270":
        return img.transpose(Image.Transpose.ROTATE_90)
    if variant == "inverted":
        return ImageOps.invert(img)
    raise ValueError(variant)


def p99(values):
    ordered = sorted(values)
    rank = max(1, math.ceil(0.99 * len(ordered)))
    return ordered[rank - 1]


def stats(ms):
    if not ms:
        return None, None
    return statistics.median(ms), p99(ms)


def score(images, found_by_image, positive):
    """(read count, false-positive count, set of images read)."""
    read, fp, ok = 0, 0, set()
    groups = {}
    for image in images:
        found = found_by_image.get(image, [])
        if not positive:
            if found:
                fp += 1
            continue
        expected, group = decode_report.expected_text(image)
        if expected is None:
            continue
        if group is not None:
            groups.setdefault(group, (expected, []))[1].append((image, found))
            continue
        if expected in found:
            read += 1
            ok.add(image)
    for expected, parts in groups.values():
        joined = b"".join(found[0] if found else b"" for _, found in parts)
        if joined == expected:
            read += len(parts)
            ok.update(image for image, _ in parts)
    return read, fp, ok


def run_zxing(paths):
    found, ms = {}, {}
    for p in paths:
        img = Image.open(p).convert("L")
        img.load()
        start = time.perf_counter()
        results = zxingcpp.read_barcodes(img, formats=zxingcpp.BarcodeFormat.QRCode)
        ms[p] = (time.perf_counter() - start) * 1000.0
        found[p] = [r.text.encode("utf-8") for r in results if r.valid]
    return found, ms


def fmt(v, spec=".2f"):
    return "-" if v is None else format(v, spec)


def ratio(a, b):
    return None if a is None or b is None or b == 0 else a / b


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bin", default=os.path.join(decode_report.repo_root(), "target", "release", "scanpay"))
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--misses", action="store_true")
    parser.add_argument("dataset", nargs="?",
                        default=os.path.join(decode_report.repo_root(), "..", "shared", "datasets", "qr-samples"))
    args = parser.parse_args()
    variants = [v for v in args.variants.split(",") if v]
    if any(v not in VARIANTS for v in variants):
        print(f"compare-zxing: variants are {VARIANTS}", file=sys.stderr)
        return 2
    if not (os.path.isfile(args.bin) and os.access(args.bin, os.X_OK)):
        print(f"compare-zxing: CLI not found: {args.bin}", file=sys.stderr)
        return 2
    if not os.path.isdir(args.dataset):
        print(f"compare-zxing: dataset not found: {args.dataset}", file=sys.stderr)
        return 2

    folders = sorted(d for d in os.listdir(args.dataset) if os.path.isdir(os.path.join(args.dataset, d)))
    header = (f"{'variant':<9} {'folder':<17} {'imgs':>4} {'ours':>4} {'zx':>4} {'fp o/z':>6} "
              f"{'med ours':>8} {'med zx':>7} {'ratio':>5} {'p99 ours':>8} {'p99 zx':>7} {'ratio':>5}")
    summary = []
    misses = []
    with tempfile.TemporaryDirectory(prefix="compare-zxing-") as tmp:
        print(header)
        print("-" * len(header))
        for variant in variants:
            tot = {"imgs": 0, "ours": 0, "zx": 0, "fpo": 0, "fpz": 0, "pos": 0}
            all_ours, all_zx = [], []
            for folder in folders:
                src = os.path.join(args.dataset, folder)
                names = sorted(f for f in os.listdir(src)
                               if os.path.splitext(f)[1].lower() in decode_report.IMAGE_EXTS)
                if not names:
                    continue
                dst = os.path.join(tmp, variant, folder)
                os.makedirs(dst, exist_ok=True)
                # The variant PNGs sit beside copies of the expected texts, so
                # the shared scoring (and structured-append grouping) applies.
                for f in os.listdir(src):
                    if f.endswith(".txt"):
                        with open(os.path.join(src, f), "rb") as a, open(os.path.join(dst, f), "wb") as b:
                            b.write(a.read())
                paths = []
                for name in names:
                    stem = os.path.splitext(name)[0]
                    out = os.path.join(dst, stem + ".png")
                    try:
                        img = Image.open(os.path.join(src, name)).convert("L")
                    except OSError:
                        continue
                    make_variant(img, variant).save(out)
                    paths.append(out)
                positive = folder.startswith("qrcode-")
                ours = decode_report.run_cli(args.bin, paths)
                ours_found = {p: decode_report.texts(r) for p, r in ours.items()}
                ours_ms = [r["ms"] for r in ours.values() if isinstance(r.get("ms"), (int, float))]
                zx_found, zx_ms_map = run_zxing(paths)
                zx_ms = list(zx_ms_map.values())
                o_read, o_fp, o_ok = score(paths, ours_found, positive)
                z_read, z_fp, z_ok = score(paths, zx_found, positive)
                if positive:
                    for p in sorted(z_ok - o_ok):
                        misses.append((variant, "zxing only", p))
                    for p in sorted(o_ok - z_ok):
                        misses.append((variant, "ours only", p))
                om, op = stats(ours_ms)
                zm, zp = stats(zx_ms)
                print(f"{variant:<9} {folder:<17} {len(paths):>4} "
                      f"{o_read if positive else '-':>4} {z_read if positive else '-':>4} "
                      f"{(f'{o_fp}/{z_fp}' if not positive else '-'):>6} "
                      f"{fmt(om):>8} {fmt(zm):>7} {fmt(ratio(om, zm), '.1f'):>5} "
                      f"{fmt(op):>8} {fmt(zp):>7} {fmt(ratio(op, zp), '.1f'):>5}", flush=True)
                tot["imgs"] += len(paths)
                if positive:
                    tot["pos"] += len(paths)
                tot["ours"] += o_read
                tot["zx"] += z_read
                tot["fpo"] += o_fp
                tot["fpz"] += z_fp
                all_ours.extend(ours_ms)
                all_zx.extend(zx_ms)
            summary.append((variant, tot, stats(all_ours), stats(all_zx)))
            print("-" * len(header))

    print()
    print("| variant | images (with code) | read ours | read zxing | false pos. ours/zxing "
          "| median ms ours | median ms zxing | ratio | p99 ms ours | p99 ms zxing | ratio |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for variant, tot, (om, op), (zm, zp) in summary:
        print(f"| {variant} | {tot['imgs']} ({tot['pos']}) | {tot['ours']} | {tot['zx']} | "
              f"{tot['fpo']}/{tot['fpz']} | {fmt(om)} | {fmt(zm)} | {fmt(ratio(om, zm), '.2f')} | "
              f"{fmt(op)} | {fmt(zp)} | {fmt(ratio(op, zp), '.2f')} |")
    if args.misses:
        print("\nread by one reader only (variant, who, image):")
        for variant, who, p in misses:
            print(f"  {variant:<9} {who:<10} {os.path.basename(os.path.dirname(p))}/{os.path.basename(p)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
