"""Reading: preprocessed photos and a classifier -> the answer, its record and its line.

Every interface reads the same way: main.py, the drawing pad and evaluate.py preprocess each
image into a Page, classify all digits of all pages in one batch (the model's fixed cost is
paid once) and report the same Reading. A single digit is a number of one digit.
"""

import dataclasses
import logging
import multiprocessing
import os
import signal
import sys
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from itertools import repeat
from multiprocessing import connection, get_context

import cv2
import numpy as np

from .native import keep_freed_memory
from .preprocess import ImageError, Params, Photo, preprocess_bytes, preprocess_file
from .preprocess.segment import pieces_of

# A mark whose most likely digit is below this probability is not a digit. The shipped MLP,
# trained to spread its probabilities over marks that are not digits (train.py, outlier
# exposure), is below it for 0.6% of the MNIST test digits and 0.9% of the real ones
# (benchmarks/rejection_curve.py); higher, it would reject more non-digits but also more of
# the thin-pen and marker digits it reads right.
#
# Marks cut from one piece of ink (digits that touch, cut apart where the ink thins) stand or
# fall together, on their joint confidence (DigitReading.mark_confidence): the product of
# theirs, the chance that every one of them is the digit read, times CUT_PLAUSIBILITY, the
# chance that a piece of ink the segmentation cuts into digits is digits that touch at all.
# A letter, a shape or a scribble is often cut into pieces that look like digits (an "A" as
# "1" and "?", a scribble's curls as "?27", a box's two halves as "13"), each fairly sure;
# digits that touch are cut into digits that are each all but certain. Judged by the least
# sure of the marks cut from an ink, 83.8% of the generated non-digit photos were called not
# a digit (the convnet: 90.8%); by their product, 85.7% (91.5%), and of the real and
# generated digits and numbers only readings that were wrong already read otherwise (as not
# sure). With the plausibility, two marks cut from one ink must be jointly 80% sure, which
# lets the segmentation offer more cuts (segment.SegmentParams.valley_share) without reading
# more shapes as numbers: 86.3% (92.0%) with them, and more real and generated numbers read.
MIN_CONFIDENCE = 0.4
CUT_PLAUSIBILITY = 0.5
RUNNERS_UP = 2  # the line for one digit names this many next most likely digits
DECIMALS = 6  # probabilities in records are rounded to this many decimals
NOT_A_DIGIT = "?"  # stands for a mark that is not a digit in a number
_log = logging.getLogger(__name__)
# Below this many files per core, starting worker processes (a quarter of a second) costs
# more than it saves.
FILES_PER_WORKER = 8
# Files a worker is sent at a time: few, so that at the end neither core waits long for the
# other (with a quarter of each worker's share at a time, one sat idle for up to half a second
# of the 211 real digits' three); a task costs a fraction of a millisecond.
FILES_PER_TASK = 2
# Probabilities are taken as at least this when their log weighs a candidate digit.
MIN_PROBABILITY = 1e-6


@dataclass
class DigitReading:
    """One mark read: its 28x28, its boxes and the model's ten probabilities.

    image: float32 (28, 28) in [0, 1]; box: (x, y, width, height) in the file's pixels;
    photo_box: the same in the working photo's pixels (Page.photo); probabilities: (10,).
    It is a digit when the model gives its most likely digit (guess) at least MIN_CONFIDENCE,
    and so does the joint confidence of every mark cut from the same piece of ink
    (mark_confidence, as read_pages sets it with joint_per_ink; None counts as its own),
    and it is not `filled` (a blob of ink: preprocess.ink.is_filled); else it is not a digit
    (a letter, a scribble, a smudge), and digit is None.
    """

    image: np.ndarray
    box: tuple
    photo_box: tuple
    probabilities: np.ndarray
    mark_confidence: float = None
    filled: bool = False

    @property
    def guess(self):
        return int(np.argmax(self.probabilities))

    @property
    def confidence(self):
        return float(self.probabilities[self.guess])

    @property
    def standing(self):
        """The confidence its verdict rests on: 0 for a filled blob, else its own, or the
        joint confidence of the marks cut from the same ink (mark_confidence)."""
        if self.filled:
            return 0.0
        return self.confidence if self.mark_confidence is None else self.mark_confidence

    @property
    def digit(self):
        return self.guess if self.standing >= MIN_CONFIDENCE else None

    @property
    def sure(self):
        return self.digit is not None

    @property
    def shown(self):
        """The digit, or NOT_A_DIGIT."""
        return NOT_A_DIGIT if self.digit is None else str(self.digit)

    @property
    def looks_like(self):
        """For a mark that is not a digit: "looks most like 4, 31%"; for a blob of ink,
        "a filled blob, not strokes; looks most like 0, 99%"; for one sure alone but cut from
        a piece of ink whose marks are not sure digits together, "cut from ink not read as
        digits; looks most like 1, 83%"."""
        if self.filled:
            why = "a filled blob, not strokes; "
        elif self.confidence >= MIN_CONFIDENCE > self.standing:
            why = "cut from ink not read as digits; "
        else:
            why = ""
        return f"{why}looks most like {self.guess}, {self.confidence:.0%}"

    def ranked(self, count):
        """The `count` most likely (digit, probability) pairs, most likely first."""
        order = np.argsort(self.probabilities)[::-1][:count]
        return [(int(digit), float(self.probabilities[digit])) for digit in order]


@dataclass
class Reading:
    """What was read in one image: name (its file name or path), page (preprocessing's
    Page, for figures), its marks, left to right, the indices of the page's candidates
    they are (chosen), and per mark the number of the piece of ink it was cut from (inks:
    marks cut from one piece share it; see ink_of_marks)."""

    name: str
    page: object
    digits: list
    chosen: list = None
    inks: list = None

    @property
    def number(self):
        """The digits read, as a string (leading zeros kept; NOT_A_DIGIT for a mark that is
        not a digit)."""
        return "".join(digit.shown for digit in self.digits)

    @property
    def sure(self):
        """Whether every mark is a digit."""
        return all(digit.sure for digit in self.digits)

    def line(self):
        """One line for a terminal: `name: 7 (97.3%)   next: 1 (1.8%), 9 (0.4%)` for one
        digit, `name: not a digit (looks most like 4, 31%)`, or for a number
        `name: 2026  (2: 99%, 0: 98%, 2: 97%, 6: 95%)`, a `?` where a mark is not a digit."""
        if len(self.digits) == 1:
            (digit,) = self.digits
            if not digit.sure:
                return f"{self.name}: not a digit ({digit.looks_like})"
            (best, share), *others = digit.ranked(1 + RUNNERS_UP)
            runners_up = ", ".join(f"{other} ({p:.1%})" for other, p in others)
            return f"{self.name}: {best} ({share:.1%})   next: {runners_up}"
        shares = ", ".join(f"{digit.digit}: {digit.confidence:.0%}" if digit.sure else
                           f"{NOT_A_DIGIT}: not a digit ({digit.looks_like})" for digit in self.digits)
        return f"{self.name}: {self.number}  ({shares})"

    def message(self):
        """A short sentence for the drawing pad: the answer, or which marks are not digits."""
        if len(self.digits) == 1:
            (digit,) = self.digits
            if digit.sure:
                return f"{digit.digit} ({digit.confidence:.1%})"
            return f"not a digit ({digit.looks_like})"
        unsure = [f"mark {place} is not a digit ({digit.looks_like})"
                  for place, digit in enumerate(self.digits, start=1) if not digit.sure]
        if unsure:
            return f"{self.number}: {'; '.join(unsure)}"
        least = min(digit.confidence for digit in self.digits)
        return f"{self.number} (each digit at least {least:.1%})"

    def record(self, images=False):
        """The JSON object of main.py --json, the drawing pad's API and evaluate.py.

        file, number, sure (every mark a digit), message, and digits: per mark, left to
        right, its box ([x, y, width, height] in the file's pixels), digit (null when it is
        not a digit, with a reason), guess (the most likely digit), confidence, sure and
        probabilities (10). With one mark the top level also has its digit, guess,
        confidence and probabilities (and reason); with several, digit is null. With
        `images`, each mark (and the top level, for one) has `processed`: the 28x28 the
        model saw as 28 rows of 0..255.
        """
        digits = []
        for digit in self.digits:
            entry = {"box": [int(value) for value in digit.box], "digit": digit.digit,
                     "guess": digit.guess, "confidence": round(digit.confidence, DECIMALS),
                     "sure": digit.sure,
                     "probabilities": [round(float(p), DECIMALS) for p in digit.probabilities]}
            if not digit.sure:
                entry["reason"] = f"not a digit ({digit.looks_like})"
            if images:
                entry["processed"] = np.round(digit.image * 255).astype(np.uint8).tolist()
            digits.append(entry)
        record = {"file": str(self.name), "number": self.number, "sure": self.sure,
                  "message": self.message(), "digit": None}
        if len(digits) == 1:
            record.update({key: value for key, value in digits[0].items() if key in
                           ("digit", "guess", "confidence", "probabilities", "reason", "processed")})
        record["digits"] = digits
        return record


def preprocess_files(paths, params=Params(), keep_photos=True, progress=None):
    """[(path, Page or the ImageError that prevented it)] for each path, in input order.

    Many files are spread over worker processes, one per core (preprocessing is CPU-bound
    Python and OpenCV); their Pages come back without their photo and digit mask unless
    `keep_photos` (only figures need them). progress: called with (files done, files) as
    they are.
    """
    paths = list(paths)
    workers = min(os.cpu_count() or 1, len(paths) // FILES_PER_WORKER)
    if workers < 2:
        results = []
        for done, path in enumerate(paths, start=1):
            results.append(_preprocess_one(path, params, keep_photos))
            if progress:
                progress(done, len(paths))
        return results
    # Forked workers start at once and need no `if __name__ == "__main__":` in the caller's
    # script; where threads run (a server, or the native ones of TensorFlow and LiteRT, which
    # threading does not count: a fork can inherit their locks held and hang), or on systems
    # where forking is unsafe, spawned.
    native_threads = {"tensorflow", "ai_edge_litert.interpreter"} & sys.modules.keys()
    method = ("fork" if sys.platform == "linux" and threading.active_count() == 1
              and not native_threads else "spawn")
    with ProcessPoolExecutor(workers, mp_context=get_context(method),
                             initializer=_set_up_worker) as pool:
        results = []
        for result in pool.map(_preprocess_one, paths, repeat(params), repeat(keep_photos),
                               chunksize=FILES_PER_TASK):
            results.append(result)
            if progress:
                progress(len(results), len(paths))
    return results


def _set_up_worker():
    cv2.setNumThreads(1)  # one worker process per core already
    keep_freed_memory()


def _preprocess_one(path, params, keep_photo):
    """(path, Page or ImageError) for one file; in a worker, or here."""
    try:
        page = preprocess_file(path, params)
    except ImageError as error:
        return path, error
    except Exception as error:  # a bug must cost this file only, not the whole command
        return path, ImageError(f"cannot read this image: internal error "
                                f"({type(error).__name__}: {error}); please report it with the image")
    return path, (page if keep_photo else without_photo(page))


def without_photo(page):
    """The Page with only its photo's scale and none of its candidates' masks: what reading
    needs, not what figures draw (a worker sends back kilobytes, not the megabytes of the
    photo and the masks, nine tenths of the rest)."""
    light = Photo(None, page.photo.scale)

    def lightened(page):
        candidates = [candidate._replace(region=candidate.region._replace(mask=None))
                      for candidate in page.lattice.candidates]
        return dataclasses.replace(page, photo=light,
                                   lattice=page.lattice._replace(candidates=candidates),
                                   crops=[dataclasses.replace(crop, mask=None) for crop in page.crops])

    return dataclasses.replace(lightened(page),
                               alternative=page.alternative and lightened(page.alternative))


class PreprocessingPool:
    """preprocess_bytes in `workers` worker processes, for a server's requests.

    Threads call `preprocess` at once and are served in turn, in parallel on every core
    (preprocessing is CPU-bound Python and OpenCV: threads alone would queue for the GIL).
    The workers' stderr is /dev/null for good, so that decoding's silencing of libpng never
    swaps the server's own: what its other threads log meanwhile would be lost. A worker that
    dies (killed, or crashed in native code on some image) takes its pool with it: a new one
    is started and the request tried once more on it.
    """

    def __init__(self, workers):
        self._workers = workers
        self._replacing = threading.Lock()
        self._pool = self._start()

    def _start(self):
        # Spawned: forking a process that runs threads (a server's, TensorFlow's) is unsafe.
        pool = ProcessPoolExecutor(self._workers, mp_context=get_context("spawn"),
                                   initializer=_start_pool_worker)
        # Each task that finds no idle worker starts one: all of them start now, their imports
        # (a second) under way while the caller goes on, rather than in the first requests.
        for _ in range(self._workers):
            pool.submit(int)
        return pool

    def preprocess(self, data):
        """The Page of an image's bytes, without its photo (see without_photo); raises what
        preprocess_bytes raises."""
        pool = self._pool
        try:
            return pool.submit(_preprocess_without_photo, data).result()
        except BrokenProcessPool:
            # The requests that were waiting in this pool get their answer from the next;
            # an image that crashes that one too is the caller's internal error.
            return self._replace(pool).submit(_preprocess_without_photo, data).result()

    def _replace(self, broken):
        with self._replacing:
            if self._pool is broken:  # not yet replaced by another request that met it
                _log.warning("a preprocessing worker died (killed, or crashed on an image); "
                             "starting new ones")
                broken.shutdown(wait=False)
                self._pool = self._start()
            return self._pool


def _start_pool_worker():
    _set_up_worker()
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    os.close(devnull)
    # Ctrl+C in the server's terminal reaches its whole process group: the server stops its
    # workers itself, and their tracebacks would only be noise.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with_parent, daemon=True).start()


def _exit_with_parent():
    # A worker whose server was killed (SIGTERM, SIGKILL) would wait for work forever.
    connection.wait([multiprocessing.parent_process().sentinel])
    os._exit(0)


def _preprocess_without_photo(data):
    return without_photo(preprocess_bytes(data))


def read_pages(named_pages, classifier):
    """Read several pages with one model call: [(name, Page)] -> [Reading].

    The model reads every candidate digit of every page (and of its alternative, when its
    polarity is in doubt) in one batch; on each page, the candidates that cut its line best,
    by their shapes and the model's confidence in them, are its digits (Page.choose), and of
    two polarities the one read at the least cost.
    """
    named_pages = list(named_pages)
    versions = [[page] + ([page.alternative] if page.alternative else []) for _, page in named_pages]
    rows = iter(np.split(classifier([crop.image for pages in versions for page in pages
                                     for crop in page.crops]),
                         np.cumsum([len(page.crops) for pages in versions for page in pages])[:-1]))
    readings = []
    for (name, _), pages in zip(named_pages, versions):
        options = []
        for page in pages:
            probabilities = next(rows)
            costs = -np.log(np.clip(probabilities.max(axis=1), MIN_PROBABILITY, 1.0))
            chosen, cost = page.choose(costs)
            options.append((cost, page, chosen, probabilities))
        _, page, chosen, probabilities = min(options, key=lambda option: option[0])
        inks = ink_of_marks(page.lattice, chosen)
        joint = joint_per_ink(_scores(page, probabilities)[chosen], inks)
        digits = [DigitReading(page.crops[index].image, page.crops[index].box.scaled(page.photo.scale),
                               page.crops[index].box, probabilities[index], float(together),
                               page.crops[index].filled)
                  for index, together in zip(chosen, joint)]
        readings.append(Reading(name, page, digits, chosen, inks))
    return readings


def _scores(page, probabilities):
    """Per candidate of the page, the confidence its verdict rests on: its most likely digit's
    probability, 0 for a filled blob (no digit however it looks, nor is ink cut from it).
    The path through the candidates is chosen on the probabilities alone: a blob kept out
    of it would leave the path to specks around it."""
    filled = np.array([crop.filled for crop in page.crops], bool)
    return np.where(filled, 0.0, probabilities.max(axis=1))


def ink_of_marks(lattice, chosen):
    """Per chosen candidate (indices into lattice.candidates, left to right), the number of
    the piece of ink it was cut from: candidates holding ink of one connected piece (digits
    that touch, cut apart; a letter cut in two) share a number. Numbers count from 0."""
    inks = [pieces_of(lattice, lattice.candidates[index]) for index in chosen]
    numbers = list(range(len(inks)))
    for later in range(len(inks)):
        for earlier in range(later):
            if inks[earlier] & inks[later] and numbers[earlier] != numbers[later]:
                old = numbers[later]
                numbers = [numbers[earlier] if number == old else number for number in numbers]
    renumbered = {}
    return [renumbered.setdefault(number, len(renumbered)) for number in numbers]


def joint_per_ink(scores, inks, logarithms=False):
    """Each mark's score replaced by the joint score of the marks cut from its ink: float
    array. scores: per mark, probabilities, or with `logarithms` log-probabilities or
    log-densities; inks: per mark, as ink_of_marks gives them. A mark alone in its ink keeps
    its score; marks cut from one ink get the product of theirs times CUT_PLAUSIBILITY (with
    `logarithms`, the sum of theirs plus its logarithm)."""
    scores, inks = np.asarray(scores, dtype=float), np.asarray(inks)
    joint = {}
    for ink in set(inks.tolist()):
        own = scores[inks == ink]
        if len(own) == 1:
            joint[ink] = own[0]
        else:
            joint[ink] = own.sum() + np.log(CUT_PLAUSIBILITY) if logarithms \
                else own.prod() * CUT_PLAUSIBILITY
    return np.array([joint[ink] for ink in inks.tolist()])
