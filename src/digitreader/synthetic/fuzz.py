"""Random inputs for the reader, to show that every input ends in an answer or one clear error.

Each case is bytes as a user (or an attacker) might send them: random bytes, random bytes
behind a real format's magic, real images of any size and shape in every format OpenCV
writes (8- and 16-bit, float, grey, colour, alpha) holding noise, flat colour or random
strokes, and such images cut short or with flipped bits.

    for name, data in fuzz_cases(seed=0, count=300): ...
"""

import cv2
import numpy as np

# Formats OpenCV writes, with the pixel types each takes.
ENCODINGS = {
    ".png": (np.uint8, np.uint16),
    ".jpg": (np.uint8,),
    ".tiff": (np.uint8, np.uint16, np.float32),
    ".webp": (np.uint8,),
    ".bmp": (np.uint8,),
    ".ppm": (np.uint8,),
    ".pfm": (np.float32,),
    ".sr": (np.uint8,),
    ".hdr": (np.float32,),
    ".gif": (np.uint8,),
    ".pam": (np.uint8,),
}
MAGICS = [b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*", b"RIFF\x00\x00\x00\x00WEBPVP8 ",
          b"BM", b"GIF89a", b"P6\n", b"PF\n", b"\x59\xa6\x6a\x95", b"#?RADIANCE\n"]
# Sides are drawn log-uniformly from this range: most cases small (fast), some large or thin.
SIDE_RANGE = (1, 1600)
MAX_RANDOM_BYTES = 4096


def fuzz_cases(seed=0, count=300):
    """Yield `count` (name, bytes) cases, the same for the same seed."""
    rng = np.random.default_rng(seed)
    kinds = [_random_bytes, _behind_magic, _encoded_image, _damaged_image]
    for index in range(count):
        kind = kinds[index % len(kinds)]
        name, data = kind(rng)
        yield f"{index}: {name}", data


def random_image(rng):
    """A random image: (array of a random shape, type and channels, what it holds)."""
    height, width = (int(np.exp(rng.uniform(*np.log(SIDE_RANGE)))) for _ in range(2))
    channels = int(rng.choice([1, 3, 4]))
    content = rng.choice(["noise", "flat", "strokes"])
    if content == "noise":
        image = rng.random((height, width, channels), dtype=np.float32)
    elif content == "flat":
        image = np.full((height, width, channels), rng.random(), np.float32)
    else:
        image = np.full((height, width, channels), rng.random(), np.float32)
        for _ in range(int(rng.integers(1, 6))):
            points = (rng.random((int(rng.integers(2, 6)), 2)) * (width, height)).astype(np.int32)
            cv2.polylines(image, [points], False, [float(rng.random())] * channels,
                          int(rng.integers(1, max(2, min(height, width) // 4 + 1))))
    return image, f"{width}x{height}x{channels} {content}"


def encode(image, extension, dtype):
    """`image` (float32 in [0, 1]) in a format and pixel type, or None if OpenCV refuses."""
    if extension in (".ppm", ".sr", ".bmp", ".jpg", ".webp", ".gif", ".hdr", ".pfm", ".pam") \
            and image.shape[2] == 4:
        image = image[:, :, :3]
    if extension in (".hdr", ".pfm", ".ppm", ".gif") and image.shape[2] == 1:
        image = np.repeat(image, 3, axis=2)
    scale = {np.uint8: 255, np.uint16: 65535, np.float32: 1}[dtype]
    pixels = (image * scale).astype(dtype)
    try:
        ok, data = cv2.imencode(extension, pixels)
    except cv2.error:
        return None
    return data.tobytes() if ok else None


def _random_bytes(rng):
    return "random bytes", rng.bytes(int(rng.integers(0, MAX_RANDOM_BYTES)))


def _behind_magic(rng):
    magic = MAGICS[int(rng.integers(len(MAGICS)))]
    return f"random bytes behind {magic[:4]!r}", magic + rng.bytes(int(rng.integers(0, MAX_RANDOM_BYTES)))


def _encoded_image(rng):
    while True:
        image, description = random_image(rng)
        extension = list(ENCODINGS)[int(rng.integers(len(ENCODINGS)))]
        dtype = ENCODINGS[extension][int(rng.integers(len(ENCODINGS[extension])))]
        data = encode(image, extension, dtype)
        if data is not None:
            return f"{description} {np.dtype(dtype).name} {extension}", data


def _damaged_image(rng):
    name, data = _encoded_image(rng)
    if rng.random() < 0.5:
        cut = int(rng.integers(0, len(data)))
        return f"{name} cut at {cut} of {len(data)} bytes", data[:cut]
    damaged = bytearray(data)
    for _ in range(int(rng.integers(1, 20))):
        damaged[int(rng.integers(len(damaged)))] ^= 1 << int(rng.integers(8))
    return f"{name} with flipped bits", bytes(damaged)
