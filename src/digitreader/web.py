"""The drawing pad: a small Flask app that reads digits (and numbers) drawn or uploaded.

    GET  /             the page (static/index.html, with its script and styles; nothing external)
    POST /api/predict  an image -> JSON: the number, and per digit its reading and its 28x28

The image may come as JSON {"image": "data:image/png;base64,..."} (as the page sends its
canvas), as a multipart upload in the field "image" (as the page sends a photo), or as a raw
body with Content-Type image/* (handy with curl). It is read exactly as main.py reads a file
(reading.read_pages), and the answer is main.py's --json record (Reading.record) with each
digit's 28x28 ("processed", 28 rows of 0..255) and "found": true. An image with no digit gets
{"found": false, "message": ...}. Requests are read at once, on every core: decoding and
preprocessing in worker processes (reading.PreprocessingPool), the model in the request's
thread. Bad requests get a 4xx with {"error": "..."}, without waiting for the workers when the
request itself shows it (its type, size, JSON, base64, or a body in no image format); a bug
met while reading an image gets a 500 with one line, its traceback going to the server's log.
The server is waitress: one thread reads each connection's request whole before one of a few
worker threads (THREADS) handles it, so a slow or stalled client holds no thread and keeps no
one else waiting. It answers only to its own host names, refuses a body over MAX_UPLOAD_BYTES
(unread when far over), closes a connection silent for CONNECTION_TIMEOUT (one trickling a
byte now and then stays open, costing a socket), keeps at most CONNECTION_LIMIT open, and
replaces a preprocessing worker that dies. Like any program that starts spawned processes, a
script that calls create_app needs the `if __name__ == "__main__":` guard.
"""

import base64
import binascii
import json
import logging
import os
import re
from pathlib import Path

import numpy as np
from flask import Flask, jsonify, request
from waitress.channel import HTTPChannel
from waitress.server import TcpWSGIServer
from waitress.task import ErrorTask
from werkzeug.exceptions import (BadRequest, HTTPException, RequestEntityTooLarge,
                                 UnsupportedMediaType)

from .classify import load_classifier
from .model import check_model_file
from .preprocess import MNIST_SIZE, ImageError, NoDigitFound
from .reading import PreprocessingPool, read_pages

STATIC_FOLDER = Path(__file__).resolve().parent / "static"
HOST = "127.0.0.1"
# The names this server answers to. Against DNS rebinding: a page of another site, its name
# pointed at 127.0.0.1, would otherwise use the API as if it were this server's page.
LOCAL_HOST_NAMES = ("127.0.0.1", "localhost", "[::1]")
LISTEN_BACKLOG = 128  # connections waiting to be accepted; a burst beyond it is refused
# Requests handled at once, each by a thread once it has arrived whole. Measured: 8 leave one
# free for a bad request while drawings keep the preprocessing workers busy (with 4 it waited
# about twice as long); more were no faster.
THREADS = 8
# Connections open at once; further ones wait in the listen backlog. An open connection costs
# a socket (and a temporary file past 512 KB of body), not a thread: this many stay well
# within the usual limit of 1024 file descriptors.
CONNECTION_LIMIT = 250
CONNECTION_TIMEOUT = 15  # seconds a connection may stay silent before it is closed
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
# A body over the limit but not by far is still read whole, then refused: a client that sends
# all of it before it reads (most scripts do) then gets the 413, not a reset connection. One
# past this is refused unread (browsers still show that 413), its connection closed.
MAX_BODY_READ = 2 * MAX_UPLOAD_BYTES
TOO_LARGE = f"upload too large: the limit is {MAX_UPLOAD_BYTES // 2**20} MB"
UPLOAD_FIELD = "image"
# How the files of each format OpenCV decodes begin (its decoders' signatures; OpenEXR is left
# out, opencv-python ships it disabled). A body that starts otherwise is refused at once
# rather than after its turn in the pipeline.
IMAGE_SIGNATURE = re.compile(rb"""
      \x89PNG\r\n\x1a\n | \xff\xd8\xff | RIFF....WEBP           # PNG, JPEG, WebP
    | II\*\0 | MM\0\* | II\+\0 | MM\0\+                         # TIFF, BigTIFF
    | BM | GIF8[79]a | ....ftyp                                 # BMP, GIF, AVIF
    | \0\0\0\x0cjP\x20\x20\r\n\x87\n | \xffO\xffQ               # JPEG 2000, its codestream
    | P[1-7Ff]\s | \#\?(?:RADIANCE|RGBE) | \x59\xa6\x6a\x95     # PNM/PAM/PFM, HDR, Sun raster
""", re.VERBOSE | re.DOTALL)
INTERNAL_ERROR = "could not read this image: an internal error (the server's log has the details)"
# Everything the page uses comes from this server: no CDN, no web fonts, works offline.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data: blob:; object-src 'none'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


def create_app(model_path):
    """The Flask app, with the model at `model_path` loaded once, now, and its preprocessing
    workers (one per core) started.

    Raises ModelFileError when the model cannot be loaded.
    """
    check_model_file(model_path)  # a wrong path is told before any worker starts
    # Started before the model is loaded, so that the workers' imports overlap it. More
    # workers than requests handled at once would never all work.
    preprocessing = PreprocessingPool(min(os.cpu_count() or 1, THREADS))
    # The model runs in each request's thread: classifiers may be called from several at
    # once, and it takes a fraction of a millisecond.
    classifier = load_classifier(model_path)
    # The first call of a Keras model builds its graph (hundreds of ms); pay that here,
    # not in the user's first prediction.
    classifier(np.zeros((1, MNIST_SIZE, MNIST_SIZE), np.float32))
    classifier.prepare_for(THREADS)

    app = Flask(__name__, static_folder=str(STATIC_FOLDER), static_url_path="/static")
    app.config["MAX_CONTENT_LENGTH"] = MAX_UPLOAD_BYTES
    log = app.logger  # with Flask's handler from now on: also the server's, for its refusals

    @app.before_request
    def only_own_host_names():
        port = request.environ["SERVER_PORT"]
        # request.host leaves out the default port, as browsers do in the Host header
        own = [name if port == "80" else f"{name}:{port}" for name in LOCAL_HOST_NAMES]
        if request.host.lower() not in own:
            raise BadRequest(f"unknown host {request.host!r}: this server answers only to "
                             f"{', '.join(own)}")

    @app.get("/")
    def index():
        return app.send_static_file("index.html")

    @app.post("/api/predict")
    def predict():
        name, data = image_from_request()
        if not IMAGE_SIGNATURE.match(data):
            raise BadRequest("not a usable image: it is in none of the formats OpenCV reads "
                             "(PNG, JPEG, WebP, TIFF, BMP, GIF, ...)")
        try:
            page = preprocessing.preprocess(data)
            (reading,) = read_pages([(name, page)], classifier)
        except NoDigitFound as error:
            return jsonify(no_digit_answer(name, str(error)))
        except ImageError as error:
            raise BadRequest(f"not a usable image: {error}") from None
        except Exception:
            # A bug of ours that this image brought out: the traceback (a worker's included)
            # is for the server's log, the client gets one line, and the next request is
            # served as usual.
            log.exception("reading the image %r failed", name)
            return jsonify(error=INTERNAL_ERROR), 500
        return jsonify({**reading.record(images=True), "found": True})

    @app.errorhandler(HTTPException)
    def http_error_as_json(error):
        message = TOO_LARGE if isinstance(error, RequestEntityTooLarge) else error.description
        # Successes go unlogged: the page predicts several times a second while drawing.
        log.warning("%s %s: %d %s", request.method, request.path, error.code, message)
        response = jsonify(error=message)
        response.status_code = error.code
        # Keep the error's own headers, such as the Allow of a 405.
        response.headers.extend((name, value) for name, value in error.get_headers()
                                if name.lower() != "content-type")
        return response

    @app.after_request
    def security_headers(response):
        response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response

    return app


def image_from_request():
    """(name, image bytes) from the current request; raises a 4xx HTTPException for bad ones."""
    # The server has read the body whole; kept, request.files parses it from here.
    body = request.get_data(parse_form_data=False)
    content_type = request.mimetype
    if content_type.startswith("image/"):
        return "image", body
    if content_type == "multipart/form-data":
        try:
            upload = request.files.get(UPLOAD_FIELD)  # parsed from the body read above
        except RequestEntityTooLarge:  # Werkzeug's limits on a form's fields, not on the file
            raise BadRequest("the form has too many fields or too large a one: send just the "
                             f'file, in the field "{UPLOAD_FIELD}"') from None
        if upload is None:
            raise BadRequest(f'no file in the form field "{UPLOAD_FIELD}"')
        return upload.filename or "upload", upload.read()
    if content_type == "application/json":
        return "image", image_from_json(body)
    raise UnsupportedMediaType(
        f"unsupported content type {content_type or '(none)'}: send an image/* body, a "
        f'multipart form with the file in "{UPLOAD_FIELD}", or JSON {{"image": "data:..."}}'
    )


def image_from_json(body):
    """The bytes of {"image": "<base64 or data: URL>"}; raises BadRequest for anything else."""
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError) as error:  # bad syntax or UTF-8; nested too deeply
        raise BadRequest(f"malformed JSON: {error}") from None
    encoded = payload.get("image") if isinstance(payload, dict) else None
    if not isinstance(encoded, str):
        raise BadRequest('JSON must be an object like {"image": "data:image/png;base64,..."}')
    if encoded.startswith("data:"):
        header, _, encoded = encoded.partition(",")
        if not header.endswith(";base64"):
            raise BadRequest("the data: URL in \"image\" must be base64-encoded")
    try:
        return base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise BadRequest('"image" is not valid base64') from None


def no_digit_answer(name, reason):
    """The JSON answer when the image holds no digit (a blank canvas, an empty photo)."""
    return {"file": str(name), "found": False, "sure": False, "digit": None, "message": reason}


class JsonErrorTask(ErrorTask):
    """The answer to a request waitress refuses itself (a body over the limit, a malformed
    request) in JSON, as the app's: the page shows its "error"."""

    def execute(self):
        request, error = self.request, self.request.error
        message = TOO_LARGE if error.code == 413 else f"{error.reason.lower()}: {error.body}"
        # As the app logs its refusals (its logger); a request too malformed has no method.
        logging.getLogger(__name__).warning("%s %s: %d %s", getattr(request, "command", "?"),
                                            getattr(request, "path", "?"), error.code, message)
        body = json.dumps({"error": message}).encode()
        self.status = f"{error.code} {error.reason}"
        self.response_headers.append(("Content-Type", "application/json"))
        self.content_length = len(body)
        self.set_close_on_finish()
        self.write(body)


class JsonErrorChannel(HTTPChannel):
    error_task_class = JsonErrorTask


class LocalServer(TcpWSGIServer):
    """waitress' server, with its own refusals in JSON."""

    channel_class = JsonErrorChannel

    @property
    def port(self):
        return self.effective_port


def make_local_server(app, port):
    """A waitress server for `app` on 127.0.0.1:`port` (0: any free port), its port `.port`,
    not yet serving: run() serves until Ctrl+C (KeyboardInterrupt), close() closes its socket.

    Raises OSError when the port cannot be had (in use, or privileged).
    """
    # With few threads a burst of requests waits its turn, and waitress warns of it each time.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    return LocalServer(
        app, host=HOST, port=port, threads=THREADS, backlog=LISTEN_BACKLOG,
        server_name=HOST,  # the host of a request that names none (HTTP/1.0 may not)
        connection_limit=CONNECTION_LIMIT, channel_timeout=CONNECTION_TIMEOUT,
        cleanup_interval=1,  # how often silent connections are looked for
        max_request_body_size=MAX_BODY_READ,
        log_socket_errors=False,  # a client gone before its answer is no error of the server's
    )
