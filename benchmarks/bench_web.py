"""Time the drawing pad's predictions over real HTTP on 127.0.0.1, as the page asks for them.

    python benchmarks/bench_web.py [--requests 200] [--clients 4] [--model PATH]

Starts the app (model loaded once, as app.py does) on a free loopback port, then times
POST /api/predict for a drawing like the page's canvas (a 320x320 PNG in JSON, as the page
sends it) and for a sample photo (a multipart upload), one request at a time; then the same
drawing from several clients at once, which queue for the model; then bad requests (each
kind in turn) while that many clients keep drawing: they should be answered at once, not
after the queue. Prints median and p95 ms.
"""

import argparse
import base64
import json
import logging
import statistics
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cv2
import numpy as np

from digitreader.model import DEFAULT_MODEL_PATH
from digitreader.web import create_app, make_local_server

ROOT = Path(__file__).resolve().parents[1]

PHOTO = ROOT / "samples" / "7_small_offcentre.jpg"  # the largest sample: 1600x1200
# Bad requests of the kinds a server sees, with the status each must get.
BAD_REQUESTS = [
    ("text sent as image/png", b"hello, not a picture", "image/png", 400),
    ("malformed JSON", b'{"image": ', "application/json", 400),
    ("bad base64 in JSON", b'{"image": "data:image/png;base64,@@@"}', "application/json", 400),
    ("unsupported content type", b"hello", "text/plain", 415),
]
# A "5" drawn large with the page's default 18 px brush on its 320x320 pad.
DRAWING = [[(230, 45), (105, 45), (95, 150), (165, 125), (230, 170), (225, 245), (160, 285),
            (85, 255)]]


def drawing_png():
    canvas = np.full((320, 320, 3), 255, np.uint8)
    for stroke in DRAWING:
        cv2.polylines(canvas, [np.int32(stroke)], False, (17, 17, 17), 18, cv2.LINE_AA)
    return cv2.imencode(".png", canvas)[1].tobytes()


def drawing_request(url):
    image = "data:image/png;base64," + base64.b64encode(drawing_png()).decode("ascii")
    return urllib.request.Request(url, data=json.dumps({"image": image}).encode(),
                                  headers={"Content-Type": "application/json"})


def photo_request(url):
    boundary = "bench-boundary"
    body = (f'--{boundary}\r\nContent-Disposition: form-data; name="image"; '
            f'filename="{PHOTO.name}"\r\nContent-Type: image/jpeg\r\n\r\n').encode()
    body += PHOTO.read_bytes() + f"\r\n--{boundary}--\r\n".encode()
    return urllib.request.Request(
        url, data=body, headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})


def timed(request, expected=200):
    """Milliseconds for one request and its whole answer; fails loudly on another status
    (or, for a 200, on an answer that found no digit)."""
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            status, answer = response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        status, answer = error.code, json.loads(error.read())
    milliseconds = (time.perf_counter() - start) * 1000
    if status != expected or (status == 200 and not answer.get("found")):
        raise SystemExit(f"unexpected answer {status}: {answer}")
    return milliseconds


def bad_requests_under_load(url, clients, count):
    """{kind: milliseconds} for `count` bad requests of each kind, sent one at a time while
    `clients` clients keep sending drawings; also the drawings' milliseconds meanwhile."""
    stop = threading.Event()
    drawings = []

    def keep_drawing():
        while not stop.is_set():
            drawings.append(timed(drawing_request(url)))

    loaders = [threading.Thread(target=keep_drawing) for _ in range(clients)]
    for loader in loaders:
        loader.start()
    try:
        time.sleep(0.5)  # let the queue for the model form
        bad = {name: [timed(urllib.request.Request(url, data=body,
                                                   headers={"Content-Type": content_type}),
                            status)
                      for _ in range(count)]
               for name, body, content_type, status in BAD_REQUESTS}
    finally:
        stop.set()
        for loader in loaders:
            loader.join()
    return bad, drawings


def summary(name, milliseconds):
    ordered = sorted(milliseconds)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    print(f"{name:<44} median {statistics.median(ordered):6.1f} ms   p95 {p95:6.1f} ms"
          f"   ({len(ordered)} requests)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200, help="requests per measurement")
    parser.add_argument("--clients", type=int, default=4, help="clients at once in the last one")
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL_PATH, metavar="PATH",
                        help="Keras model file to serve (default models/mnist_mlp.keras)")
    args = parser.parse_args()

    print(f"model: {args.model.name}")
    # The server logs each failed request; here the bad ones are on purpose.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_local_server(create_app(args.model), 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.port}/api/predict"
    try:
        for make_request in (drawing_request, photo_request):  # warm up both paths
            timed(make_request(url))
        summary("drawing, 320x320 PNG in JSON (as the page)",
                [timed(drawing_request(url)) for _ in range(args.requests)])
        summary(f"photo upload, {PHOTO.name}",
                [timed(photo_request(url)) for _ in range(args.requests)])
        with ThreadPoolExecutor(max_workers=args.clients) as pool:
            at_once = list(pool.map(lambda _: timed(drawing_request(url)), range(args.requests)))
        summary(f"drawing, {args.clients} clients at once", at_once)
        bad, drawings = bad_requests_under_load(url, args.clients, args.requests)
        for name, milliseconds in bad.items():
            summary(f"{name}, {args.clients} clients drawing", milliseconds)
        summary(f"drawing, {args.clients} clients, meanwhile", drawings)
    finally:
        server.shutdown()
        server.server_close()


if __name__ == "__main__":
    main()
