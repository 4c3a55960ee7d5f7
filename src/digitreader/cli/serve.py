"""`digitreader serve` (and app.py): the drawing pad on 127.0.0.1."""

import argparse
import os
import signal
import sys
from pathlib import Path

from ..model import DEFAULT_MODEL_PATH, ModelFileError

DESCRIPTION = (
    "Serve a drawing pad on 127.0.0.1: draw a digit (mouse, pen or finger) or drop a photo, "
    "and see the model's answer, its ten probabilities and the 28x28 it saw.")
DEFAULT_PORT = 8000


def port_number(text):
    """argparse type: a TCP port, 0..65535 (0 lets the system pick a free one)."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port must be between 0 and 65535, not {port}")
    return port


def add_arguments(parser):
    parser.add_argument("--port", type=port_number, default=DEFAULT_PORT,
                        help=f"port to listen on (default {DEFAULT_PORT}; 0: any free port)")
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL_PATH, metavar="PATH",
                        help="Keras model file to use (default: the shipped mnist_mlp.keras)")


def run(args, parser):
    from ..web import HOST, create_app, make_local_server

    try:
        app = create_app(args.model)  # checks the file before TensorFlow is imported
    except ModelFileError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # Ctrl+C while the model loads: stop quietly
        return 130
    try:
        server = make_local_server(app, args.port)
    except OSError as error:
        reason = os.strerror(error.errno) if error.errno else str(error)
        print(f"error: cannot listen on {HOST}:{args.port}: {reason}", file=sys.stderr)
        return 1
    print(f"Drawing pad at http://{HOST}:{server.port}/  (Ctrl+C to stop)", flush=True)
    # `kill` stops it as Ctrl+C does: cleanly, its preprocessing workers with it (killed
    # outright, it would leave multiprocessing's resource tracker warning of leaked semaphores).
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        server.run()  # returns on KeyboardInterrupt, its threads stopped
    except KeyboardInterrupt:  # a second one, while they stop
        pass
    finally:
        server.close()
    return 0
