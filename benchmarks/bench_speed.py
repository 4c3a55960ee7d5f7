"""How fast digitreader answers: a cold main.py, many files in one command, the drawing pad.

    python benchmarks/bench_speed.py [--real-digits DIR] [--requests 300] [--rounds 3]

Prints, side by side:
- a cold `main.py samples/3_shadow.jpg --no-show` through the shipped model's LiteRT export
  and through Keras (a copy of the model with no export beside it): wall time and peak
  memory, median of 5 runs each, and the speed-up;
- images per second for `main.py --json` over every file in DIR (the real handwritten digits
  beside this repository by default), start-up included, median of 3 runs;
- the drawing pad (app.py in its own process) answering 20 clients at once: drawings as the
  page sends them (a 320x320 PNG in JSON) and photo uploads (a 1600x1200 JPEG), requests per
  second and median/p95 milliseconds, median of the rounds.
Timings on a shared machine vary: the load averages are printed with them.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from digitreader.model import DEFAULT_MODEL_PATH

from _common import (PHOTO, ROOT, at_once, drawing_request, load_note, percentile,
                     photo_request, served)

COLD_SAMPLE = ROOT / "samples" / "3_shadow.jpg"
COLD_RUNS = 5
MANY_FILES_RUNS = 3
CLIENTS = 20
WIDTH = 40  # of the names in the figures' lines


def measured(command):
    """(wall seconds, peak memory in MiB) of a command run to its end; fails loudly when it
    fails."""
    with tempfile.TemporaryFile() as errors:
        start = time.perf_counter()
        process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=errors)
        # wait4 gives this child's own peak RSS (KiB on Linux), not the largest of all children.
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode not in (0, 1):  # 1: some file could not be read, reported
            errors.seek(0)
            raise SystemExit(f"{' '.join(map(str, command))} failed:\n{errors.read().decode()}")
    return seconds, usage.ru_maxrss / 1024


def median_of(runs, command):
    """(median wall seconds, median peak MiB) over `runs` runs."""
    results = [measured(command) for _ in range(runs)]
    return (statistics.median(seconds for seconds, _ in results),
            statistics.median(peak for _, peak in results))


def cold_start():
    main_py = [sys.executable, str(ROOT / "main.py"), str(COLD_SAMPLE), "--no-show"]
    with tempfile.TemporaryDirectory() as folder:
        # The model alone, without the record and export that lie beside the shipped one.
        keras_only = shutil.copy(DEFAULT_MODEL_PATH, folder)
        litert = median_of(COLD_RUNS, main_py)
        keras = median_of(COLD_RUNS, main_py + ["--model", keras_only])
    print(f"cold main.py {COLD_SAMPLE.name} --no-show (median of {COLD_RUNS} runs)")
    print(f"  {'LiteRT export (shipped model)':<{WIDTH}} {litert[0]:6.2f} s   {litert[1]:5.0f} MiB")
    print(f"  {'Keras (the .keras alone)':<{WIDTH}} {keras[0]:6.2f} s   {keras[1]:5.0f} MiB")
    print(f"  {'speed-up':<{WIDTH}} {keras[0] / litert[0]:6.1f} x   "
          f"{keras[1] / litert[1]:5.1f} x less memory")


def many_files(folder):
    files = sorted(str(path) for path in folder.iterdir() if path.is_file())
    seconds, _ = median_of(MANY_FILES_RUNS, [sys.executable, str(ROOT / "main.py"), "--json",
                                             *files])
    print(f"main.py --json over the {len(files)} files of {folder} (one command, start-up "
          f"included; median of {MANY_FILES_RUNS} runs)")
    print(f"  {seconds:.2f} s: {len(files) / seconds:.0f} images/s")


def drawing_pad(requests, rounds):
    print(f"drawing pad, {CLIENTS} clients at once ({requests} requests a round; median of "
          f"{rounds} rounds)")
    with served() as port:
        for name, (body, content_type) in [("drawings, 320x320 PNG in JSON", drawing_request()),
                                           (f"photos, {PHOTO.name} uploaded", photo_request())]:
            at_once(port, body, content_type, CLIENTS, 2 * CLIENTS)  # warm up: every worker
            measured_rounds = [at_once(port, body, content_type, CLIENTS, requests)
                               for _ in range(rounds)]
            rate = statistics.median(rate for rate, _ in measured_rounds)
            p50 = statistics.median(statistics.median(ms) for _, ms in measured_rounds)
            p95 = statistics.median(percentile(ms, 0.95) for _, ms in measured_rounds)
            print(f"  {name:<{WIDTH}} {rate:6.1f} requests/s   p50 {p50:4.0f} ms   p95 {p95:4.0f} ms")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--real-digits", type=Path, metavar="DIR",
                        default=ROOT.parent / "shared" / "data" / "real" / "digits",
                        help="folder of photos for the many-files figure (default: "
                        "../shared/data/real/digits)")
    parser.add_argument("--requests", type=int, default=300, help="requests per round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the drawing pad's")
    args = parser.parse_args()
    print(load_note())
    cold_start()
    many_files(args.real_digits)
    drawing_pad(args.requests, args.rounds)
    print(load_note())


if __name__ == "__main__":
    main()
