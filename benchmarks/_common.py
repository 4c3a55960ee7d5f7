"""What the benchmarks share: the drawing pad's requests, a server to send them to, a load of
clients, and summaries. Not a benchmark itself."""

import base64
import contextlib
import http.client
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
PHOTO = ROOT / "samples" / "7_small_offcentre.jpg"  # the largest sample: 1600x1200
# A "5" drawn large with the page's default 18 px brush on its 320x320 pad.
DRAWING = [[(230, 45), (105, 45), (95, 150), (165, 125), (230, 170), (225, 245), (160, 285),
            (85, 255)]]


def drawing_request():
    """(body, content type) of a drawing as the page sends its canvas: a PNG in JSON."""
    canvas = np.full((320, 320, 3), 255, np.uint8)
    for stroke in DRAWING:
        cv2.polylines(canvas, [np.int32(stroke)], False, (17, 17, 17), 18, cv2.LINE_AA)
    png = cv2.imencode(".png", canvas)[1].tobytes()
    image = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    return json.dumps({"image": image}).encode(), "application/json"


def photo_request():
    """(body, content type) of PHOTO uploaded as the page uploads a photo: a multipart form."""
    boundary = "bench-boundary"
    body = (f'--{boundary}\r\nContent-Disposition: form-data; name="image"; '
            f'filename="{PHOTO.name}"\r\nContent-Type: image/jpeg\r\n\r\n').encode()
    body += PHOTO.read_bytes() + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


@contextlib.contextmanager
def served(model=None):
    """The drawing pad as app.py serves it, in its own process (so that the clients here do
    not share its GIL), on a free port: yields the port; stops it with Ctrl+C after. Its log
    (a line per failed request: bad ones are sent on purpose) is shown only if it fails to
    start."""
    command = [sys.executable, str(ROOT / "app.py"), "--port", "0"]
    if model:
        command += ["--model", str(model)]
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=log,
                                   text=True)
        try:
            line = process.stdout.readline()  # once the model is loaded
            address = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
            if not address:
                process.wait(timeout=30)
                log.seek(0)
                raise SystemExit(f"app.py did not start:\n{log.read().decode()}")
            yield int(address.group(1))
        finally:
            process.send_signal(signal.SIGINT)
            process.wait(timeout=30)
            process.stdout.close()


def timed(port, body, content_type, expected=200):
    """Milliseconds for one POST /api/predict and its whole answer, on a connection of its
    own (as urllib makes); fails loudly on another status (or, for a 200, on an answer that
    found no digit)."""
    start = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request("POST", "/api/predict", body, {"Content-Type": content_type,
                                                          "Connection": "close"})
        response = connection.getresponse()
        status, answer = response.status, json.loads(response.read())
    finally:
        connection.close()
    milliseconds = (time.perf_counter() - start) * 1000
    if status != expected or (status == 200 and not answer.get("found")):
        raise SystemExit(f"unexpected answer {status}: {answer}")
    return milliseconds


def at_once(port, body, content_type, clients, count):
    """(requests per second, [milliseconds]) for `count` requests sent by `clients` clients
    at once, each sending its next as soon as it has its answer."""
    left, lock = [count], threading.Lock()
    milliseconds = []

    def client():
        while True:
            with lock:
                if not left[0]:
                    return
                left[0] -= 1
            milliseconds.append(timed(port, body, content_type))

    threads = [threading.Thread(target=client) for _ in range(clients)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if len(milliseconds) != count:
        raise SystemExit("a client failed (its error is above)")
    return count / (time.perf_counter() - start), milliseconds


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def summary(name, milliseconds):
    print(f"{name:<44} median {statistics.median(milliseconds):6.1f} ms   "
          f"p95 {percentile(milliseconds, 0.95):6.1f} ms   ({len(milliseconds)} requests)")


def load_note():
    """The machine's load averages, to tell a quiet run from one that shared its cores."""
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (1 min), {five:.1f} (5 min) on {os.cpu_count()} cores"
