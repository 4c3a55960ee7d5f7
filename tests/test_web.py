"""The drawing pad (app.py, digitreader.web): its JSON API, its server under load and bad
input, its command line, and the page itself driven in a real headless Chromium."""

import base64
import contextlib
import json
import multiprocessing
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cv2
import numpy as np
import pytest
from waitress import wasyncore

from conftest import ROOT, SAMPLES, run_cli, sample_images
from digitreader.model import DEFAULT_MODEL_PATH
from digitreader.reading import MIN_CONFIDENCE, DigitReading, PreprocessingPool, Reading
from digitreader.web import (INTERNAL_ERROR, MAX_BODY_READ, MAX_UPLOAD_BYTES, STATIC_FOLDER,
                             create_app, make_local_server)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
# Digits as a person draws them on the page's 320x320 pad: large, with the default brush.
CANVAS_SIZE = 320
DEFAULT_BRUSH = 18
SEVEN = [[(70, 50), (250, 50), (135, 280)]]
ONE = [[(135, 80), (175, 40), (175, 285)]]
# A number: a narrower 1 and 7 side by side, as a person draws "17" on the pad.
SEVENTEEN = [[(60, 90), (95, 50), (95, 270)], [(150, 50), (270, 50), (195, 270)]]
PHOTO = SAMPLES / "3_shadow.jpg"
SINGLE_DIGIT_SAMPLES = [path for path in sample_images() if path.name[1] == "_"]
NUMBER_SAMPLES = [path for path in sample_images() if path.name[1] != "_"]  # 308_marker.png...
DROPPED_PHOTO = SAMPLES / "8_transparent.png"
# Every format the tested OpenCV writes (its OpenEXR is disabled).
OPENCV_FORMATS = [".png", ".jpg", ".jp2", ".tif", ".webp", ".bmp", ".ppm", ".pgm", ".pbm", ".pam",
                  ".pfm", ".sr", ".hdr", ".gif", ".avif"]


def canvas_png(strokes, brush=DEFAULT_BRUSH):
    """A PNG like the page's canvas: dark round-capped strokes on white."""
    canvas = np.full((CANVAS_SIZE, CANVAS_SIZE, 3), 255, np.uint8)
    for stroke in strokes:
        cv2.polylines(canvas, [np.int32(stroke)], False, (17, 17, 17), brush, cv2.LINE_AA)
    return cv2.imencode(".png", canvas)[1].tobytes()


def data_url(png):
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


@pytest.fixture(scope="module")
def app():
    return create_app(DEFAULT_MODEL_PATH)


@pytest.fixture
def client(app):
    return app.test_client()


@contextlib.contextmanager
def serving(app):
    """The app behind its real HTTP server on 127.0.0.1, on a free port, in a thread: yields
    its URL."""
    server = make_local_server(app, 0)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.port}"
    finally:
        # Its loop ends once it has no socket left; closed in its own thread, not under it.
        server.trigger.pull_trigger(lambda: wasyncore.close_all(server._map))
        thread.join(timeout=10)
        server.task_dispatcher.shutdown()


@pytest.fixture(scope="module")
def server_url(app):
    with serving(app) as url:
        yield url


def post(url, body, content_type, host=None):
    """POST over HTTP (with another Host header if given); returns (status, JSON answer) for
    successes and 4xx alike."""
    headers = {"Content-Type": content_type, **({"Host": host} if host else {})}
    request = urllib.request.Request(url, data=body, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def multipart(field, filename, content, content_type="application/octet-stream", text_fields=0):
    """(body, content type) of a multipart form holding one file, after that many text fields."""
    boundary = "digit-pad-test-boundary"
    body = "".join(f'--{boundary}\r\nContent-Disposition: form-data; name="note{number}"'
                   f"\r\n\r\nhello\r\n" for number in range(text_fields))
    body = (body + f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; '
            f'filename="{filename}"\r\nContent-Type: {content_type}\r\n\r\n').encode()
    body += content + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


# ----- The page's files -------------------------------------------------------------------

def test_page_and_its_files_come_from_this_server_only(client):
    page = client.get("/")
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    linked = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert "/static/app.js" in linked and "/static/style.css" in linked
    assert all(link.startswith("/static/") or link.startswith("data:") for link in linked), linked
    for link in linked:
        if link.startswith("/static/"):
            assert client.get(link).status_code == 200, link
    for path in STATIC_FOLDER.iterdir():
        outside = re.search(r"https?://|@import|url\(", path.read_text())
        assert not outside, f"{path.name} loads from outside: {outside.group(0)}"
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]


# ----- The API ----------------------------------------------------------------------------

def test_there_is_a_one_digit_sample_of_every_digit():
    assert {path.name[0] for path in SINGLE_DIGIT_SAMPLES} == set("0123456789")


@pytest.mark.parametrize("sample", SINGLE_DIGIT_SAMPLES, ids=lambda path: path.name)
def test_every_sample_photo_uploaded_gives_its_digit(client, sample):
    response = client.post("/api/predict", data={"image": (sample.open("rb"), sample.name)})
    assert response.status_code == 200, response.get_json()
    answer = response.get_json()
    assert answer["found"] and answer["file"] == sample.name
    assert answer["digit"] == int(sample.name[0]), answer["message"]


@pytest.mark.parametrize("strokes, digit", [(SEVEN, 7), (ONE, 1)], ids=["seven", "one"])
def test_a_drawing_sent_as_the_page_sends_it_gives_its_digit(client, strokes, digit):
    response = client.post("/api/predict", json={"image": data_url(canvas_png(strokes))})
    assert response.status_code == 200
    answer = response.get_json()
    assert (answer["digit"], answer["sure"]) == (digit, True), answer["message"]


def test_digits_drawn_side_by_side_read_as_a_number(client):
    answer = client.post("/api/predict", json={"image": data_url(canvas_png(SEVENTEEN))}).get_json()
    assert (answer["number"], answer["sure"], answer["digit"]) == ("17", True, None), answer
    assert answer["message"].startswith("17 (")
    assert [entry["digit"] for entry in answer["digits"]] == [1, 7]
    (x1, _, w1, _), (x7, _, _, _) = (entry["box"] for entry in answer["digits"])
    assert x1 + w1 <= x7, "the digits are not left to right"
    for entry in answer["digits"]:
        assert entry["sure"] and entry["confidence"] == max(entry["probabilities"])
        assert np.array(entry["processed"]).shape == (28, 28)


def test_one_digit_answers_as_before_plus_number_and_digits(client):
    answer = client.post("/api/predict", json={"image": data_url(canvas_png(SEVEN))}).get_json()
    assert answer["number"] == "7" and len(answer["digits"]) == 1
    (entry,) = answer["digits"]
    for key in ("digit", "confidence", "probabilities", "processed", "sure"):
        assert entry[key] == answer[key], key
    assert len(entry["box"]) == 4


@pytest.mark.parametrize("sample", NUMBER_SAMPLES, ids=lambda path: path.name)
def test_every_number_sample_uploaded_gives_its_number(client, sample):
    response = client.post("/api/predict", data={"image": (sample.open("rb"), sample.name)})
    answer = response.get_json()
    assert answer["number"] == sample.name.split("_")[0], answer["message"]
    assert answer["digit"] is None and len(answer["digits"]) == len(answer["number"])


@pytest.mark.parametrize("suffix", OPENCV_FORMATS)
def test_a_drawing_in_any_format_opencv_writes_is_read(client, suffix):
    image = cv2.imdecode(np.frombuffer(canvas_png(SEVEN), np.uint8), cv2.IMREAD_COLOR)
    if suffix in (".pfm", ".hdr"):  # floating point only
        image = image.astype(np.float32) / 255
    elif suffix in (".pgm", ".pbm"):  # grey only; PBM's black or white
        image = np.where(image[:, :, 0] > 128, 255, 0).astype(np.uint8)
    encoded = cv2.imencode(suffix, image)[1].tobytes()
    response = client.post("/api/predict", data=encoded, content_type=f"image/{suffix[1:]}")
    assert (response.status_code, response.get_json().get("digit")) == (200, 7)


def test_a_raw_png_body_works_too(client):
    response = client.post("/api/predict", data=canvas_png(SEVEN), content_type="image/png")
    assert response.status_code == 200
    assert response.get_json()["digit"] == 7


def test_the_answer_holds_what_the_page_shows(client):
    answer = client.post("/api/predict", json={"image": data_url(canvas_png(SEVEN))}).get_json()
    probabilities = answer["probabilities"]
    assert len(probabilities) == 10 and sum(probabilities) == pytest.approx(1.0, abs=1e-3)
    assert answer["confidence"] == max(probabilities) == probabilities[answer["digit"]]
    processed = np.array(answer["processed"])
    assert processed.shape == (28, 28) and processed.min() >= 0 and processed.max() == 255
    assert answer["message"].startswith("7 (")


def test_a_blank_canvas_says_no_digit_instead_of_guessing(client):
    response = client.post("/api/predict", json={"image": data_url(canvas_png([]))})
    assert response.status_code == 200
    answer = response.get_json()
    assert answer["found"] is False and answer["digit"] is None and answer["sure"] is False
    assert "no digit found" in answer["message"]
    assert "probabilities" not in answer


def reading_of(*rows):
    """A Reading of digits with the given probabilities, as read_pages makes them."""
    box = (0, 0, 28, 28)
    return Reading("drawing", None, [DigitReading(np.zeros((28, 28), np.float32), box, box, row)
                                     for row in rows])


def test_low_confidence_says_not_sure():
    probabilities = np.full(10, 0.05)
    probabilities[4] = MIN_CONFIDENCE - 0.1
    probabilities[9] = 1 - probabilities.sum() + 0.05
    answer = reading_of(probabilities).record()
    assert answer["sure"] is False and answer["digit"] is None and answer["guess"] == 4
    assert answer["message"].startswith("not a digit (looks most like 4,")
    assert answer["number"] == "?" and answer["reason"].startswith("not a digit")
    sure = probabilities.copy()
    sure[4], sure[9] = MIN_CONFIDENCE, 1 - MIN_CONFIDENCE - 0.4
    assert reading_of(sure).record()["sure"] is True
    number = reading_of(sure, probabilities).record()
    assert (number["number"], number["sure"], number["digit"]) == ("4?", False, None)
    assert [digit["sure"] for digit in number["digits"]] == [True, False]
    assert number["message"].startswith("4?: mark 2 is not a digit (looks most like 4,")


def bad_requests():
    """(name, body, content type, expected status, words the error must contain)."""
    text_upload = multipart("image", "notes.txt", b"not a picture", "text/plain")
    wrong_field = multipart("photo", "3.png", canvas_png(SEVEN), "image/png")
    many_fields = multipart("image", "7.png", canvas_png(SEVEN), "image/png", text_fields=2000)
    return [
        ("text as text/plain", b"hello", "text/plain", 415, "unsupported content type"),
        ("form-encoded", b"image=abc", "application/x-www-form-urlencoded", 415, "unsupported"),
        ("text as image/png", b"hello", "image/png", 400, "not a usable image"),
        ("truncated PNG", canvas_png(SEVEN)[:500], "image/png", 400, "truncated"),
        ("malformed JSON", b'{"image": ', "application/json", 400, "malformed JSON"),
        ("JSON nested 100000 deep", b"[" * 100_000 + b"]" * 100_000, "application/json", 400,
         "malformed JSON"),
        ("JSON without image", b'{"picture": "x"}', "application/json", 400, '{"image"'),
        ("JSON list", b"[1, 2]", "application/json", 400, '{"image"'),
        ("bad base64", b'{"image": "data:image/png;base64,@@@"}', "application/json", 400,
         "not valid base64"),
        ("data URL not base64", b'{"image": "data:image/png,abc"}', "application/json", 400,
         "base64"),
        ("text file uploaded", *text_upload, 400, "not a usable image"),
        ("upload in the wrong field", *wrong_field, 400, 'no file in the form field "image"'),
        ("form of 2000 fields", *many_fields, 400, "too many fields"),
        ("oversized", b"\0" * (MAX_UPLOAD_BYTES + 1), "image/png", 413, "too large"),
    ]


@pytest.mark.parametrize("name, body, content_type, status, words", bad_requests(),
                         ids=[case[0] for case in bad_requests()])
def test_bad_requests_get_a_clear_4xx_in_json(client, name, body, content_type, status, words):
    response = client.post("/api/predict", data=body, content_type=content_type)
    assert response.status_code == status, response.get_data(as_text=True)
    assert words in response.get_json()["error"]


def tiny_png(height, width):
    """A white PNG of height x width pixels with one dark pixel near its middle."""
    image = np.full((height, width), 255, np.uint8)
    image[height // 2, width // 2] = 0
    return cv2.imencode(".png", image)[1].tobytes()


@pytest.mark.parametrize("height, width", [(1, 1), (5, 6)], ids=["1x1", "5x6"])
def test_a_tiny_image_gets_an_answer_not_an_internal_error(client, height, width):
    response = client.post("/api/predict", data=tiny_png(height, width), content_type="image/png")
    answer = response.get_json()
    assert response.status_code in (200, 400), answer
    assert ("found" if response.status_code == 200 else "error") in answer


def test_an_internal_error_while_reading_is_one_line_and_the_server_goes_on(client, monkeypatch,
                                                                           caplog):
    def broken_pipeline(self, data):
        raise RuntimeError("a bug deep in the pipeline")

    monkeypatch.setattr(PreprocessingPool, "preprocess", broken_pipeline)
    response = client.post("/api/predict", data=canvas_png(SEVEN), content_type="image/png")
    assert response.status_code == 500
    assert response.get_json() == {"error": INTERNAL_ERROR}
    assert "a bug deep in the pipeline" in caplog.text and "Traceback" in caplog.text
    monkeypatch.undo()
    response = client.post("/api/predict", data=canvas_png(SEVEN), content_type="image/png")
    assert (response.status_code, response.get_json()["digit"]) == (200, 7)


def test_other_methods_and_paths_answer_in_json_too(client):
    wrong_method = client.get("/api/predict")
    assert wrong_method.status_code == 405 and "error" in wrong_method.get_json()
    assert set(wrong_method.headers["Allow"].split(", ")) == {"POST", "OPTIONS"}
    missing = client.get("/no-such-page")
    assert missing.status_code == 404 and "error" in missing.get_json()


def test_the_server_keeps_serving_after_bad_requests(server_url):
    url = f"{server_url}/api/predict"
    for name, body, content_type, status, _ in bad_requests():
        assert post(url, body, content_type)[0] == status, name
    status, answer = post(url, canvas_png(SEVEN), "image/png")
    assert (status, answer["digit"]) == (200, 7)


def port_of(server_url):
    return int(server_url.rsplit(":", 1)[1])


def exchange(server_url, head, body=b""):
    """Send a request as raw bytes; returns (status, JSON answer) once the server has closed
    the connection, and fails if it keeps it open."""
    with socket.create_connection(("127.0.0.1", port_of(server_url)), timeout=5) as connection:
        try:
            connection.sendall(head.encode() + body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server stopped reading; its answer is there all the same
        answer = b""
        try:
            while block := connection.recv(65536):
                answer += block
        except ConnectionResetError:
            pass  # closed with some of the body unread: reset after the answer, not ended
        except TimeoutError:
            pytest.fail(f"the server left the connection open after {answer[:200]!r}")
    status_line, _, payload = answer.partition(b"\r\n\r\n")
    return int(status_line.split()[1]), json.loads(payload)


def chunked(body, chunk_size=64 * 1024):
    """`body` in the chunked transfer encoding."""
    chunks = (body[start:start + chunk_size] for start in range(0, len(body), chunk_size))
    return b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for chunk in chunks) + b"0\r\n\r\n"


def post_head(server_url, content_type, *headers):
    """The head of a POST to the API with these further headers (its body's framing...)."""
    return (f"POST /api/predict HTTP/1.1\r\nHost: {server_url.removeprefix('http://')}\r\n"
            f"Content-Type: {content_type}\r\n" + "".join(f"{header}\r\n" for header in headers)
            + "\r\n")


@pytest.mark.parametrize("content_type", ["image/png", "application/json",
                                          "multipart/form-data; boundary=x"])
@pytest.mark.parametrize("framing", ["chunked", "Content-Length"])
def test_an_upload_over_the_limit_gets_413(server_url, framing, content_type):
    body = b"\0" * (MAX_UPLOAD_BYTES + 1)
    if framing == "chunked":
        framing, body = "Transfer-Encoding: chunked", chunked(body)
    else:
        framing = f"Content-Length: {len(body)}"
    # Read whole, the connection could serve another request: this client wants it closed.
    status, answer = exchange(server_url, post_head(server_url, content_type, framing,
                                                    "Connection: close"), body)
    assert (status, answer["error"]) == (413, "upload too large: the limit is 10 MB")


@pytest.mark.parametrize("framing", ["chunked", "Content-Length"])
def test_far_too_large_an_upload_is_refused_before_its_end_its_connection_closed(server_url,
                                                                                 framing):
    # Only the start of a body is sent (of 100 MB; chunked, never ending): a server that read
    # to its end would wait for the rest.
    start = b"\0" * (MAX_BODY_READ + 2**20)
    if framing == "chunked":
        head = post_head(server_url, "image/png", "Transfer-Encoding: chunked")
        start = chunked(start).removesuffix(b"0\r\n\r\n")  # the body does not end here
    else:
        head = post_head(server_url, "image/png", f"Content-Length: {100 * 2**20}")
    status, answer = exchange(server_url, head, start)
    assert (status, answer["error"]) == (413, "upload too large: the limit is 10 MB")


def test_chunked_uploads_up_to_the_limit_are_read_whole(server_url):
    head = post_head(server_url, "image/png", "Transfer-Encoding: chunked", "Connection: close")
    status, answer = exchange(server_url, head, chunked(canvas_png(SEVEN), chunk_size=1000))
    assert (status, answer["digit"]) == (200, 7)
    status, answer = exchange(server_url, head, chunked(b"\0" * MAX_UPLOAD_BYTES))
    assert status == 400 and "not a usable image" in answer["error"]
    status, answer = exchange(server_url, head, b"zz\r\nhello\r\n0\r\n\r\n")
    assert (status, answer["error"]) == (400, "bad request: Invalid chunk size")


def test_only_the_servers_own_host_names_are_answered(server_url):
    url, port = f"{server_url}/api/predict", port_of(server_url)
    drawing = canvas_png(SEVEN)
    for host in [f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}", f"LocalHost:{port}"]:
        assert post(url, drawing, "image/png", host=host)[0] == 200, host
    no_host = (f"POST /api/predict HTTP/1.0\r\nContent-Type: image/png\r\n"  # as HTTP/1.0 may
               f"Content-Length: {len(drawing)}\r\n\r\n")
    assert exchange(server_url, no_host, drawing)[0] == 200
    # As a page of another site sends them once its name points at 127.0.0.1 (DNS rebinding)
    for host in [f"evil.example:{port}", f"localhost.evil.example:{port}", "localhost",
                 "127.0.0.1:1"]:
        status, answer = post(url, drawing, "image/png", host=host)
        assert status == 400 and answer["error"].startswith("unknown host"), host


def test_stalled_and_trickling_connections_keep_no_one_waiting(app, monkeypatch):
    """Connections that sent half a request and stalled, or trickle theirs, hold no thread: a
    drawing sent meanwhile is answered before any of them is closed. The stalled ones are
    closed once silent for CONNECTION_TIMEOUT; the trickling ones stay open, each costing only
    its socket."""
    monkeypatch.setattr("digitreader.web.CONNECTION_TIMEOUT", 5)  # seconds: 15, shortened
    with serving(app) as url, contextlib.ExitStack() as connections:
        head = post_head(url, "image/png", "Content-Length: 1000").encode()
        threads_before = threading.active_count()

        def connect():
            return connections.enter_context(socket.create_connection(("127.0.0.1", port_of(url))))

        stalled, trickling = [connect() for _ in range(50)], [connect() for _ in range(50)]
        for connection in stalled:
            connection.sendall(head + canvas_png(SEVEN)[:500])  # and then nothing more
        stop = threading.Event()

        def trickle():
            for byte in head:
                for connection in trickling:
                    connection.sendall(bytes([byte]))
                if stop.wait(0.5):
                    return

        trickler = threading.Thread(target=trickle)
        trickler.start()
        try:
            status, answer = post(f"{url}/api/predict", canvas_png(SEVEN), "image/png")
            assert (status, answer["digit"]) == (200, 7)
            assert threading.active_count() == threads_before + 1  # the trickler's
            for connection in stalled:
                connection.setblocking(False)
                with pytest.raises(BlockingIOError):  # nothing yet: still open, still waiting
                    connection.recv(1)
            for connection in stalled:
                connection.settimeout(30)
                assert connection.recv(65536) == b"", "a stalled connection got an answer"
        finally:
            stop.set()
            trickler.join()


def test_bad_requests_are_answered_while_the_pipeline_is_busy(server_url, monkeypatch):
    in_pipeline, release = threading.Event(), threading.Event()
    preprocess = PreprocessingPool.preprocess

    def busy_pipeline(self, data):
        in_pipeline.set()
        release.wait(timeout=30)
        return preprocess(self, data)

    monkeypatch.setattr(PreprocessingPool, "preprocess", busy_pipeline)
    url = f"{server_url}/api/predict"
    with ThreadPoolExecutor(max_workers=1) as pool:
        drawing = pool.submit(post, url, canvas_png(SEVEN), "image/png")
        try:
            assert in_pipeline.wait(timeout=30)
            for name, body, content_type, status, _ in bad_requests():
                if name != "truncated PNG":  # a damaged file only decoding finds
                    assert post(url, body, content_type)[0] == status, name
            assert not drawing.done(), "the bad requests waited for the pipeline"
        finally:
            release.set()
        assert drawing.result()[1]["digit"] == 7


def test_a_burst_of_concurrent_requests_all_succeed(server_url):
    url = f"{server_url}/api/predict"
    photo, photo_type = multipart("image", PHOTO.name, PHOTO.read_bytes(), "image/jpeg")
    drawing = json.dumps({"image": data_url(canvas_png(SEVEN))}).encode()
    jobs = [(photo, photo_type, 3), (drawing, "application/json", 7)] * 24

    def ask(job):
        body, content_type, digit = job
        status, answer = post(url, body, content_type)
        return status == 200 and answer["digit"] == digit

    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(ask, jobs))
    assert all(results), f"{results.count(False)} of {len(results)} requests failed"


def test_what_the_server_prints_while_it_reads_is_all_there(server_url, capfd):
    # Silencing libpng (and LiteRT) swaps the process's stderr descriptor: the server must
    # not do it while it serves, or what its other threads print meanwhile is lost.
    url = f"{server_url}/api/predict"
    drawing = json.dumps({"image": data_url(canvas_png(SEVEN))}).encode()
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = [pool.submit(post, url, drawing, "application/json") for _ in range(48)]
        printed = 0
        while not all(answer.done() for answer in answers):
            os.write(2, b"server line %d\n" % printed)
            printed += 1
    assert all(answer.result()[0] == 200 for answer in answers)
    lines = capfd.readouterr().err.splitlines()
    assert sum(line.startswith("server line ") for line in lines) == printed


def test_a_preprocessing_worker_that_dies_costs_no_answer(server_url, caplog):
    # As when the system kills one, or a decoder crashes on a hostile image.
    workers = multiprocessing.active_children()
    assert workers, "no preprocessing workers"
    for worker in workers:
        worker.kill()
        worker.join()
    status, answer = post(f"{server_url}/api/predict", canvas_png(SEVEN), "image/png")
    assert (status, answer["digit"]) == (200, 7)
    assert "a preprocessing worker died" in caplog.text


# ----- The command line -------------------------------------------------------------------

def test_help_does_not_import_tensorflow():
    result = run_cli("app.py", "--help", python_flags=("-X", "importtime"), timeout=60)
    assert result.returncode == 0 and "--port" in result.stdout
    assert "tensorflow" not in result.stderr


@pytest.mark.parametrize("port", ["70000", "-1", "eighty"])
def test_a_bad_port_is_refused_in_one_line(port):
    result = run_cli("app.py", "--port", port, timeout=60)
    assert result.returncode == 2
    assert "error: argument --port:" in result.stderr and "Traceback" not in result.stderr


def test_a_missing_model_file_is_one_line_error(tmp_path):
    result = run_cli("app.py", "--model", tmp_path / "none.keras", timeout=60)
    assert result.returncode == 1
    assert result.stderr.strip() == f"error: model file not found: {tmp_path / 'none.keras'}"


def test_a_port_in_use_is_one_line_error():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_cli("app.py", "--port", port, timeout=180)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"error: cannot listen on 127.0.0.1:{port}: Address already in use"]


def start_app_py():
    """app.py on a free port, in a process of its own: (process, its address), once it
    serves."""
    process = subprocess.Popen([sys.executable, str(ROOT / "app.py"), "--port", "0"], cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = process.stdout.readline()  # after the model has loaded: a few seconds
    address = re.search(r"http://127\.0\.0\.1:\d+/", line)
    assert address, f"no address in {line!r}"
    return process, address.group(0)


def children_of(pid):
    """The processes a process has started (its preprocessing workers...), from Linux /proc."""
    return [int(child) for task in Path(f"/proc/{pid}/task").iterdir()
            for child in (task / "children").read_text().split()]


def all_ended(pids, timeout=30):
    """Whether all these processes have ended (a zombie has) within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        states = []
        for pid in pids:
            try:
                states.append(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0])
            except FileNotFoundError:
                states.append("gone")
        if all(state in ("gone", "Z") for state in states):
            return True
        time.sleep(0.1)
    return False


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "kill"])
def test_app_py_prints_its_address_serves_and_stops_cleanly(stop):
    process, address = start_app_py()
    try:
        children = children_of(process.pid)
        with urllib.request.urlopen(address, timeout=30) as page:
            assert b'id="pad"' in page.read()
        status, answer = post(address + "api/predict", PHOTO.read_bytes(), "image/jpeg")
        assert (status, answer["digit"]) == (200, 3)
        process.send_signal(stop)
        assert process.wait(timeout=30) == 0
        assert process.stderr.read() == ""  # no traceback, no warning of leaked semaphores
        assert children and all_ended(children), "its workers outlived it"
    finally:
        process.kill()
        process.wait()
        process.stdout.close()
        process.stderr.close()


def test_app_py_killed_outright_leaves_no_worker_behind():
    process, _ = start_app_py()
    try:
        children = children_of(process.pid)
        process.kill()
        process.wait()
        assert children and all_ended(children), "its workers outlived it"
    finally:
        process.stdout.close()
        process.stderr.close()


# ----- The page in a real browser ---------------------------------------------------------

@pytest.fixture(scope="module")
def browser():
    # Never skip: CI installs Debian's chromium (.ci/run); Playwright must not fetch its own.
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} not found: apt-get install -y --no-install-recommends chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def draw_on_pad(page, strokes):
    """Draw polylines given in pad pixels with mouse events, as a person drags the mouse."""
    frame = page.locator("#pad").bounding_box()
    scale = frame["width"] / CANVAS_SIZE
    for stroke in strokes:
        points = [(frame["x"] + x * scale, frame["y"] + y * scale) for x, y in stroke]
        page.mouse.move(*points[0])
        page.mouse.down()
        for point in points[1:]:
            page.mouse.move(*point, steps=12)
        page.mouse.up()


def drop_file_on_pad(page, path, mime_type):
    """Drop a file on the pad as a drag from the desktop does: a drop event with a File."""
    page.evaluate(
        """([name, type, encoded]) => {
            const bytes = Uint8Array.from(atob(encoded), (c) => c.charCodeAt(0));
            const transfer = new DataTransfer();
            transfer.items.add(new File([bytes], name, { type }));
            const zone = document.getElementById("drop-zone");
            zone.dispatchEvent(new DragEvent("drop", { dataTransfer: transfer, bubbles: true }));
        }""",
        [path.name, mime_type, base64.b64encode(path.read_bytes()).decode("ascii")],
    )


def test_draw_clear_upload_and_drop_in_a_real_browser(server_url, browser):
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 900, "height": 700})
    outside, problems = [], []

    def note_request(request):
        if not request.url.startswith((server_url, "data:")):
            outside.append(request.url)

    def note_console(message):
        if message.type == "error":
            problems.append(message.text)

    page.on("request", note_request)
    page.on("console", note_console)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto(server_url + "/")
    digit = page.locator("#digit")
    result = page.locator("#result")
    expect(result).to_have_attribute("data-state", "empty")

    draw_on_pad(page, SEVEN)
    expect(digit).to_have_text("7", timeout=15_000)
    expect(result).to_have_attribute("data-state", "sure")
    expect(page.locator("#bars .bar.top")).to_have_attribute("data-digit", "7")
    seen_ink = page.evaluate("""() => {
        const seen = document.getElementById("seen").getContext("2d");
        const pixels = seen.getImageData(0, 0, 28, 28).data;
        return pixels.reduce((sum, value, index) => (index % 4 === 0 ? sum + value : sum), 0);
    }""")
    assert seen_ink > 0, "the 28x28 the model saw is not shown"

    page.get_by_role("button", name="Clear").click()
    expect(digit).to_have_text("–")
    expect(result).to_have_attribute("data-state", "empty")

    draw_on_pad(page, SEVENTEEN)
    expect(digit).to_have_text("17", timeout=15_000)
    expect(result).to_have_attribute("data-state", "sure")
    tiles = page.locator("#seen-row .seen-digit")
    expect(tiles).to_have_count(2)
    expect(tiles.locator(".reading b")).to_have_text(["1", "7"])
    expect(page.locator("#seen-row .seen-digit.least")).to_have_count(1)
    page.get_by_role("button", name="Clear").click()
    expect(digit).to_have_text("–")
    expect(tiles).to_have_count(0)
    expect(page.locator("#seen-digits")).to_be_hidden()

    page.set_input_files("#file", str(PHOTO))
    expect(digit).to_have_text(PHOTO.name[0], timeout=15_000)
    expect(page.locator("#pad-note")).to_contain_text(PHOTO.name)

    drop_file_on_pad(page, DROPPED_PHOTO, "image/png")
    expect(digit).to_have_text(DROPPED_PHOTO.name[0], timeout=15_000)

    assert outside == [], f"the page asked for outside resources: {outside}"
    assert problems == [], f"errors in the browser console: {problems}"
    page.close()
