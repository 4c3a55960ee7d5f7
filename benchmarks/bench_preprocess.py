"""Time preprocessing of a 12-megapixel phone-sized JPEG, and peak memory of a huge PNG.

    python benchmarks/bench_preprocess.py [--runs 20]

The photos are drawn here (a pen-stroke "4" on unevenly lit grey paper), not taken from MNIST.
"""

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from digitreader.preprocess import preprocess_bytes

FOUR = [[(0.55, 0.0), (0.1, 0.65), (0.9, 0.65)], [(0.6, 0.0), (0.6, 1.0)]]


def photo(width, height, digit_height, pen, grain=0):
    """A grey, unevenly lit page with a dark "4" in it, uint8 BGR."""
    # Built small and enlarged, so that even a 100 MP page costs little memory to make.
    gradient = np.add.outer(np.linspace(0, 20, 64), np.linspace(150, 210, 64)).astype(np.uint8)
    paper = cv2.resize(gradient, (width, height), interpolation=cv2.INTER_LINEAR)
    page = cv2.cvtColor(paper, cv2.COLOR_GRAY2BGR)
    x0, y0 = width // 3, height // 3
    for stroke in FOUR:
        points = np.array([(x0 + px * digit_height, y0 + py * digit_height) for px, py in stroke], np.int32)
        cv2.polylines(page, [points], False, (40, 35, 30), pen, cv2.LINE_AA)
    if grain:  # sensor noise and paper texture make a JPEG as large as a phone's
        page = cv2.add(page, np.random.default_rng(0).normal(0, grain, page.shape).astype(np.int8),
                       dtype=cv2.CV_8U)
    return page


def timed(data, runs):
    seconds = []
    for _ in range(runs):
        start = time.perf_counter()
        preprocess_bytes(data)
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds) * 1000, sorted(seconds)[int(0.95 * (runs - 1))] * 1000


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    _, jpeg = cv2.imencode(".jpg", photo(4000, 3000, 1200, 12, grain=6), [cv2.IMWRITE_JPEG_QUALITY, 90])
    median, p95 = timed(jpeg.tobytes(), args.runs)
    print(f"12 MP JPEG (4000x3000, {len(jpeg) / 1e6:.1f} MB): decode + preprocess "
          f"median {median:.0f} ms, p95 {p95:.0f} ms over {args.runs} runs")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "huge.png"
        cv2.imwrite(str(path), photo(10000, 10000, 3000, 30))
        # A fresh process, so that its peak memory is preprocessing's alone.
        code = ("import resource, time;"
                "from digitreader.preprocess import preprocess_file; start = time.perf_counter();"
                f"preprocess_file({str(path)!r});"
                "print(round((time.perf_counter() - start) * 1000),"
                " resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)")
        milliseconds, peak = subprocess.run([sys.executable, "-c", code], check=True,
                                            capture_output=True, text=True).stdout.split()
    print(f"100 MP PNG (10000x10000): "
          f"read + preprocess {milliseconds} ms, peak memory {peak} MB")


if __name__ == "__main__":
    main()
