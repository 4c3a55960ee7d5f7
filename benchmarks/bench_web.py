"""Time the drawing pad's answers over real HTTP on 127.0.0.1, one at a time, and its bad-request
answers while clients keep drawing.

    python benchmarks/bench_web.py [--requests 200] [--clients 4] [--model PATH]

Starts app.py (model loaded once) on a free loopback port, then times POST /api/predict for a
drawing like the page's canvas (a 320x320 PNG in JSON, as the page sends it) and for a sample
photo (a multipart upload), one request at a time; then bad requests (each kind in turn) while
that many clients keep drawing: they should be answered at once, not after the drawings.
Prints median and p95 ms. (Many clients at once: benchmarks/bench_speed.py.)
"""

import argparse
import threading
from pathlib import Path

from digitreader.model import DEFAULT_MODEL_PATH

from _common import PHOTO, drawing_request, photo_request, served, summary, timed

# Bad requests of the kinds a server sees, with the status each must get.
BAD_REQUESTS = [
    ("text sent as image/png", b"hello, not a picture", "image/png", 400),
    ("malformed JSON", b'{"image": ', "application/json", 400),
    ("bad base64 in JSON", b'{"image": "data:image/png;base64,@@@"}', "application/json", 400),
    ("unsupported content type", b"hello", "text/plain", 415),
]


def bad_requests_under_load(port, clients, count):
    """{kind: milliseconds} for `count` bad requests of each kind, sent one at a time while
    `clients` clients keep sending drawings; also the drawings' milliseconds meanwhile."""
    stop = threading.Event()
    drawing = drawing_request()
    drawings = []

    def keep_drawing():
        while not stop.is_set():
            drawings.append(timed(port, *drawing))

    loaders = [threading.Thread(target=keep_drawing) for _ in range(clients)]
    for loader in loaders:
        loader.start()
    try:
        stop.wait(0.5)  # let the drawings fill the workers
        bad = {name: [timed(port, body, content_type, status) for _ in range(count)]
               for name, body, content_type, status in BAD_REQUESTS}
    finally:
        stop.set()
        for loader in loaders:
            loader.join()
    return bad, drawings


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200, help="requests per measurement")
    parser.add_argument("--clients", type=int, default=4, help="clients drawing in the last one")
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL_PATH, metavar="PATH",
                        help="Keras model file to serve (default models/mnist_mlp.keras)")
    args = parser.parse_args()

    print(f"model: {args.model.name}")
    with served(args.model) as port:
        drawing, photo = drawing_request(), photo_request()
        for request in (drawing, photo):  # warm up both paths
            timed(port, *request)
        summary("drawing, 320x320 PNG in JSON (as the page)",
                [timed(port, *drawing) for _ in range(args.requests)])
        summary(f"photo upload, {PHOTO.name}",
                [timed(port, *photo) for _ in range(args.requests)])
        bad, drawings = bad_requests_under_load(port, args.clients, args.requests)
        for name, milliseconds in bad.items():
            summary(f"{name}, {args.clients} clients drawing", milliseconds)
        summary(f"drawing, {args.clients} clients, meanwhile", drawings)


if __name__ == "__main__":
    main()
