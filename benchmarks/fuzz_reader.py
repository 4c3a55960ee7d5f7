"""Fuzz the reader: thousands of random inputs, each must end in an answer or an ImageError.

    python benchmarks/fuzz_reader.py [--count 3000] [--seed 0]

Prints how the cases ended (digits found, no digit, refused with a reason), the slowest
case and the time per case, and every case that raised anything else. Exits 1 if any did.
"""

import argparse
import collections
import time
import traceback

from digitreader.preprocess import ImageError, NoDigitFound, preprocess_bytes
from digitreader.synthetic.fuzz import fuzz_cases


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    outcomes, crashes, slowest = collections.Counter(), [], (0.0, "")
    started = time.perf_counter()
    for name, data in fuzz_cases(args.seed, args.count):
        begun = time.perf_counter()
        try:
            page = preprocess_bytes(data)
            outcomes[f"read: {min(len(page.digits), 5)}{'+' if len(page.digits) >= 5 else ''} digit(s)"] += 1
        except NoDigitFound:
            outcomes["no digit found"] += 1
        except ImageError as error:
            outcomes[f"refused: {str(error).split(':')[0].split('(')[0].strip()}"] += 1
        except Exception:  # noqa: BLE001 - what the fuzzing is looking for
            crashes.append((name, traceback.format_exc()))
        slowest = max(slowest, (time.perf_counter() - begun, name))
    seconds = time.perf_counter() - started
    print(f"{args.count} cases (seed {args.seed}) in {seconds:.1f} s, "
          f"{seconds / args.count * 1000:.1f} ms a case; slowest {slowest[0] * 1000:.0f} ms: {slowest[1]}")
    for outcome, number in outcomes.most_common():
        print(f"  {number:>6}  {outcome}")
    print(f"  {len(crashes):>6}  crashed")
    for name, trace in crashes:
        print(f"\n{name}\n{trace}")
    return 1 if crashes else 0


if __name__ == "__main__":
    raise SystemExit(main())
