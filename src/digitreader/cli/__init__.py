"""The `digitreader` command and its subcommands; main.py, app.py, build_model.py and
evaluate.py run the same subcommands on their own.

    digitreader read photo.jpg        read the digits (or number) in photos
    digitreader serve                 the drawing pad in the browser
    digitreader train                 train a model on MNIST
    digitreader evaluate photos/      accuracy on a labelled folder, or on MNIST
    digitreader export model.keras    its LiteRT export, to read without TensorFlow

Only argparse is imported up here: `--help` and argument errors answer at once.
"""

import argparse
import importlib
import os
import sys

COMMANDS = {
    "read": "read the handwritten digit (or number) in each photo",
    "serve": "serve the drawing pad on 127.0.0.1",
    "train": "train the digit recognizer on MNIST and save it",
    "evaluate": "measure a model on labelled photos or on the MNIST test set",
    "export": "export a .keras model to LiteRT, to read without TensorFlow",
}


def positive_int(text):
    """argparse type: a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


class Progress:
    """A counter on stderr for long runs: rewritten in place on a terminal, else a line now and
    then. Call it with (done, total); close() clears it."""

    EVERY = 500  # off a terminal (a log, CI), a line every this many

    def __init__(self, what):
        self.what = what
        self.live = sys.stderr.isatty()

    def __call__(self, done, total):
        if self.live:
            print(f"\r{self.what} {done}/{total}", end="", file=sys.stderr, flush=True)
        elif done % self.EVERY == 0 and done < total:
            print(f"{self.what} {done}/{total}", file=sys.stderr, flush=True)

    def close(self):
        if self.live:
            print("\r\033[K", end="", file=sys.stderr, flush=True)  # clear the counter's line


def command_module(name):
    return importlib.import_module(f"{__name__}.{name}")


def run_command(name, argv=None, prog=None):
    """Parse `argv` for one subcommand and run it: what main.py and the other scripts do."""
    module = command_module(name)
    parser = argparse.ArgumentParser(prog=prog, description=module.DESCRIPTION)
    module.add_arguments(parser)
    return run_quietly_to_a_closed_pipe(module, parser.parse_args(argv), parser)


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="digitreader", description="Read handwritten digits and numbers from photos.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    parsers = {}
    for name, summary in COMMANDS.items():
        module = command_module(name)
        parsers[name] = commands.add_parser(name, help=summary, description=module.DESCRIPTION)
        module.add_arguments(parsers[name])
    args = parser.parse_args(argv)
    return run_quietly_to_a_closed_pipe(command_module(args.command), args, parsers[args.command])


def run_quietly_to_a_closed_pipe(module, args, parser):
    """Run a subcommand; when the reader of its output goes away (`| head`), stop quietly."""
    try:
        status = module.run(args, parser)
        sys.stdout.flush()
        return status
    except BrokenPipeError:
        # Python would complain again when it flushes stdout at exit: point it at nothing.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    sys.exit(main())
