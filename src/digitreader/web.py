"""The drawing pad: a small Flask app that reads digits (and numbers) drawn or uploaded.

    GET  /             the page (static/index.html, with its script and styles; nothing external)
    POST /api/predict  an image -> JSON: the number, and per digit its reading and its 28x28

The image may come as JSON {"image": "data:image/png;base64,..."} (as the page sends its
canvas), as a multipart upload in the field "image" (as the page sends a photo), or as a raw
body with Content-Type image/* (handy with curl). It goes through the same preprocessing and
model as main.py: normalize_digits finds the digits side by side, left to right, and the model
reads them all in one batch. Bad requests get a 4xx with {"error": "..."}; the server keeps
serving.

Every answer with ink has file, found (true), sure, message, number (the digits as a string)
and digits: per digit, left to right, its digit, confidence, probabilities (10), sure,
processed (the 28x28 the model saw, 28 rows of 0..255) and box ([x, y, width, height] in the
uploaded image's pixels). With ONE digit the top level also holds that digit's digit,
confidence, probabilities and processed, exactly as before numbers were read. With several,
the top-level digit is null (there is no single digit; read number), sure means every digit
reaches LOW_CONFIDENCE, and message is the number or, if not sure, names the unsure digits.
"""

import base64
import binascii
import json
import socket
import threading
from pathlib import Path

import numpy as np
from flask import Flask, jsonify, request
from werkzeug.exceptions import (BadRequest, HTTPException, RequestEntityTooLarge,
                                 UnsupportedMediaType)
from werkzeug.serving import WSGIRequestHandler, make_server

from .model import load_model
from .predict import number_json_record, predict_probabilities
from .preprocess import MNIST_SIZE, ImageError, NoDigitFound, decode_photo, normalize_digits

STATIC_FOLDER = Path(__file__).resolve().parent / "static"
HOST = "127.0.0.1"
LISTEN_BACKLOG = 128  # connections waiting to be accepted; a burst beyond it is refused
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
# Below this probability for the top digit the page says "not sure" instead of naming it.
LOW_CONFIDENCE = 0.6
UPLOAD_FIELD = "image"
# Everything the page uses comes from this server: no CDN, no web fonts, works offline.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data: blob:; object-src 'none'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


def create_app(model_path):
    """The Flask app, with the Keras model at `model_path` loaded once, now.

    Raises ModelFileError when the model cannot be loaded.
    """
    model = load_model(model_path)
    # The first call of a Keras model builds its graph (hundreds of ms); pay that here,
    # not in the user's first prediction.
    predict_probabilities(model, np.zeros((1, MNIST_SIZE, MNIST_SIZE), np.float32))
    # One request at a time through decoding and the model: decode_image silences libpng by
    # swapping the process-wide stderr descriptor, which two threads would tangle, and one
    # Keras model is not meant to be called from several threads at once. A prediction
    # takes milliseconds, so waiting in turn costs little.
    pipeline_lock = threading.Lock()

    app = Flask(__name__, static_folder=str(STATIC_FOLDER), static_url_path="/static")
    app.config["MAX_CONTENT_LENGTH"] = MAX_UPLOAD_BYTES

    @app.get("/")
    def index():
        return app.send_static_file("index.html")

    @app.post("/api/predict")
    def predict():
        name, data = image_from_request()
        with pipeline_lock:
            try:
                photo, scale = decode_photo(data)
                digits = normalize_digits(photo)
            except NoDigitFound as error:
                return jsonify(no_digit_answer(name, str(error)))
            except ImageError as error:
                raise BadRequest(f"not a usable image: {error}") from None
            # All the digits of the number in one batch: the model's fixed cost is paid once.
            rows = predict_probabilities(model, [item.digit for item in digits])
        boxes = [[value * scale for value in item.box] for item in digits]
        return jsonify(number_answer(name, rows, [item.digit for item in digits], boxes))

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(error):
        return jsonify(error=f"upload too large: the limit is {MAX_UPLOAD_BYTES // 2**20} MB"), 413

    @app.errorhandler(HTTPException)
    def http_error_as_json(error):
        response = jsonify(error=error.description)
        response.status_code = error.code
        return response

    @app.after_request
    def security_headers(response):
        response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response

    return app


def image_from_request():
    """(name, image bytes) from the current request; raises a 4xx HTTPException for bad ones.

    Reading the body raises 413 beyond MAX_CONTENT_LENGTH (Flask checks it).
    """
    content_type = request.mimetype
    if content_type.startswith("image/"):
        return "image", request.get_data()
    if content_type == "multipart/form-data":
        upload = request.files.get(UPLOAD_FIELD)
        if upload is None:
            raise BadRequest(f'no file in the form field "{UPLOAD_FIELD}"')
        return upload.filename or "upload", upload.read()
    if content_type == "application/json":
        return "image", image_from_json(request.get_data())
    raise UnsupportedMediaType(
        f"unsupported content type {content_type or '(none)'}: send an image/* body, a "
        f'multipart form with the file in "{UPLOAD_FIELD}", or JSON {{"image": "data:..."}}'
    )


def image_from_json(body):
    """The bytes of {"image": "<base64 or data: URL>"}; raises BadRequest for anything else."""
    try:
        payload = json.loads(body)
    except ValueError as error:  # JSONDecodeError and UnicodeDecodeError both are
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


def number_answer(name, rows, digit_images, boxes):
    """The JSON answer for the digits found, left to right (see the module docstring):
    main.py's --json record, plus what the page shows.

    rows: (n, 10) probabilities; digit_images: n 28x28 in [0, 1]; boxes: n (x, y, w, h).
    Per digit, sure: whether its top probability reaches LOW_CONFIDENCE; processed: the
    28x28 the model saw as 28 rows of 0..255 (white digit on black).
    """
    answer = number_json_record(name, rows, boxes)
    digits = answer["digits"]
    for entry, digit_image in zip(digits, digit_images):
        processed = np.round(np.clip(digit_image, 0.0, 1.0) * 255).astype(np.uint8)
        entry.update(sure=entry["confidence"] >= LOW_CONFIDENCE, processed=processed.tolist())
    if len(digits) == 1:
        (entry,) = digits
        digit, confidence = entry["digit"], entry["confidence"]
        if entry["sure"]:
            message = f"{digit} ({confidence:.1%})"
        else:
            message = f"not sure: best guess {digit} at only {confidence:.0%}"
        return {**answer, "found": True, "sure": entry["sure"], "message": message,
                "processed": entry["processed"]}
    number = answer["number"]
    unsure = [f"digit {place} ({entry['digit']} at only {entry['confidence']:.0%})"
              for place, entry in enumerate(digits, start=1) if not entry["sure"]]
    if unsure:
        message = f"not sure of {', '.join(unsure)}: best guess {number}"
    else:
        message = f"{number} (each digit at least {min(e['confidence'] for e in digits):.1%})"
    return {**answer, "found": True, "sure": not unsure, "digit": None, "message": message}


def no_digit_answer(name, reason):
    """The JSON answer when the image holds no digit (a blank canvas, an empty photo)."""
    return {"file": str(name), "found": False, "sure": False, "digit": None, "message": reason}


class ErrorsOnlyRequestHandler(WSGIRequestHandler):
    """Logs failed requests only: the page predicts several times a second while drawing."""

    def log_request(self, code="-", size="-"):
        if str(code).isdigit() and int(code) >= 400:
            super().log_request(code, size)


def make_local_server(app, port):
    """A threaded HTTP server for `app` on 127.0.0.1:`port` (0: any free port), not started.

    Raises OSError when the port cannot be had (in use, or privileged).
    """
    # Bind here rather than let Werkzeug do it: on a taken port Werkzeug prints its own advice
    # and exits the process, where app.py says what went wrong in one line.
    with socket.create_server((HOST, port), backlog=LISTEN_BACKLOG) as listener:
        # Werkzeug serves on a duplicate of this socket's descriptor.
        return make_server(HOST, port, app, threaded=True,
                           request_handler=ErrorsOnlyRequestHandler, fd=listener.fileno())
