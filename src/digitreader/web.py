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
The server keeps serving: it answers only to its own host names, closes a connection silent
for CONNECTION_TIMEOUT or whose request takes past REQUEST_DEADLINE, serves at most
MAX_CONNECTIONS at once, and replaces a worker that dies. Like any program that starts spawned processes, a script that calls create_app needs
the `if __name__ == "__main__":` guard.
"""

import base64
import binascii
import json
import os
import re
import socket
import threading
import time
from pathlib import Path

import numpy as np
from flask import Flask, jsonify, request
from werkzeug.exceptions import (BadRequest, ClientDisconnected, HTTPException,
                                 RequestEntityTooLarge, UnsupportedMediaType)
from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler
from werkzeug.wsgi import LimitedStream

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
# Connections served at once, each by its own thread, which may hold a 10 MB upload.
MAX_CONNECTIONS = 16
CONNECTION_TIMEOUT = 15  # seconds a connection may stay silent before it is closed
# Seconds a request may take from the moment its connection waits for it to its answer: a
# client trickling a byte now and then is never silent for CONNECTION_TIMEOUT, and would
# otherwise hold its thread for good. Generous: the largest image allowed reads in 7 s.
REQUEST_DEADLINE = 30
DEADLINE_CHECK_SECONDS = 0.5
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
# An upload refused as too large is still read to its end, up to this much, and dropped: a
# client that sends its whole body before it reads (most do) then gets the 413, not a reset
# connection. Beyond it the server stops reading.
MAX_DISCARDED_BYTES = 10 * MAX_UPLOAD_BYTES
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
    # workers than connections served at once would never all work.
    preprocessing = PreprocessingPool(min(os.cpu_count() or 1, MAX_CONNECTIONS))
    # The model runs in each request's thread: classifiers may be called from several at
    # once, and it takes a fraction of a millisecond.
    classifier = load_classifier(model_path)
    # The first call of a Keras model builds its graph (hundreds of ms); pay that here,
    # not in the user's first prediction.
    classifier(np.zeros((1, MNIST_SIZE, MNIST_SIZE), np.float32))

    app = Flask(__name__, static_folder=str(STATIC_FOLDER), static_url_path="/static")
    app.config["MAX_CONTENT_LENGTH"] = MAX_UPLOAD_BYTES

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
            app.logger.exception("reading the image %r failed", name)
            return jsonify(error=INTERNAL_ERROR), 500
        return jsonify({**reading.record(images=True), "found": True})

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(error):
        discard_rest_of_body()
        return jsonify(error=f"upload too large: the limit is {MAX_UPLOAD_BYTES // 2**20} MB"), 413

    @app.errorhandler(HTTPException)
    def http_error_as_json(error):
        response = jsonify(error=error.description)
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
    body = whole_body()
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


def whole_body():
    """The request's body, read to its end and kept for request.files; 413 when it is larger
    than MAX_UPLOAD_BYTES.

    Read whatever the content type, so that nothing is left unread when the answer goes.
    """
    environ = request.environ
    try:
        body = request.get_data(parse_form_data=False)
        # Werkzeug cuts a chunked body (no Content-Length) at MAX_CONTENT_LENGTH without a
        # word, as if it ended there: whether it goes on tells.
        more = (len(body) == MAX_UPLOAD_BYTES and "wsgi.input_terminated" in environ
                and environ["wsgi.input"].read(1))
    except (OSError, ClientDisconnected):
        raise BadRequest("the request's body could not be read to its end: the connection "
                         "broke or stalled, or its chunked encoding is malformed") from None
    if more:
        raise RequestEntityTooLarge()
    return body


def discard_rest_of_body():
    """Read and drop what is left of a body refused as too large, up to MAX_DISCARDED_BYTES;
    beyond that, stop reading from the connection."""
    environ = request.environ
    if "wsgi.input_terminated" in environ:  # chunked: the stream ends where the body does
        rest = environ["wsgi.input"]
    elif (request.content_length or 0) > MAX_UPLOAD_BYTES:  # refused from its header, unread
        rest = LimitedStream(environ["wsgi.input"], request.content_length)
    else:
        return
    discarded = 0
    try:
        while discarded < MAX_DISCARDED_BYTES:
            block = rest.read(64 * 1024)
            if not block:
                return
            discarded += len(block)
        # Werkzeug's server would otherwise go on reading after the answer, up to 10 GB.
        if "werkzeug.socket" in environ:
            environ["werkzeug.socket"].shutdown(socket.SHUT_RD)
    except (OSError, ClientDisconnected):  # the client went away or stalled: nothing to drop
        pass


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


class RequestHandler(WSGIRequestHandler):
    """Closes a connection silent for CONNECTION_TIMEOUT or whose request takes past
    REQUEST_DEADLINE (a stalled or trickling upload would hold its thread for good), and logs
    failed requests only: the page predicts several times a second
    while drawing."""

    timeout = CONNECTION_TIMEOUT
    deadline = REQUEST_DEADLINE

    def handle_one_request(self):
        self.server.watch(self.connection, time.monotonic() + self.deadline)
        try:
            super().handle_one_request()
        finally:
            self.server.unwatch(self.connection)

    def log_request(self, code="-", size="-"):
        if str(code).isdigit() and int(code) >= 400:
            super().log_request(code, size)


class LocalServer(ThreadedWSGIServer):
    """Werkzeug's threaded server, with at most MAX_CONNECTIONS connections served at once."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._closed = threading.Event()
        self.connection_slots = threading.BoundedSemaphore(MAX_CONNECTIONS)
        self._deadlines = {}  # connection socket -> time.monotonic() its request must end by
        self._deadlines_lock = threading.Lock()
        threading.Thread(target=self._cut_off_late_requests, daemon=True).start()

    def server_close(self):
        # Werkzeug's __init__ calls this too, on the socket it opens before taking the one given.
        if hasattr(self, "_closed"):
            self._closed.set()
        super().server_close()

    def watch(self, connection, deadline):
        with self._deadlines_lock:
            self._deadlines[connection] = deadline

    def unwatch(self, connection):
        with self._deadlines_lock:
            self._deadlines.pop(connection, None)

    def _cut_off_late_requests(self):
        # One thread for all connections: a shut socket ends the blocked read as if the
        # client had gone, and the connection closes.
        while not self._closed.wait(DEADLINE_CHECK_SECONDS):
            now = time.monotonic()
            with self._deadlines_lock:
                late = [connection for connection, deadline in self._deadlines.items()
                        if deadline < now]
                for connection in late:
                    del self._deadlines[connection]
            for connection in late:
                try:
                    connection.shutdown(socket.SHUT_RDWR)
                except OSError:  # closed meanwhile
                    pass

    def process_request(self, request, client_address):
        # Until a slot is free, further connections wait in the listen backlog.
        self.connection_slots.acquire()
        try:
            super().process_request(request, client_address)  # starts the connection's thread
        except BaseException:
            self.connection_slots.release()
            raise

    def process_request_thread(self, request, client_address):
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.connection_slots.release()


def make_local_server(app, port):
    """A threaded HTTP server for `app` on 127.0.0.1:`port` (0: any free port), not started.

    Raises OSError when the port cannot be had (in use, or privileged).
    """
    # Bind here rather than let Werkzeug do it: on a taken port Werkzeug prints its own advice
    # and exits the process, where app.py says what went wrong in one line.
    with socket.create_server((HOST, port), backlog=LISTEN_BACKLOG) as listener:
        # Werkzeug serves on a duplicate of this socket's descriptor.
        return LocalServer(HOST, port, app, handler=RequestHandler, fd=listener.fileno())
