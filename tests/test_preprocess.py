"""Preprocessing on synthetic photos: pure NumPy/OpenCV, no TensorFlow, no model."""

import subprocess
import sys
import warnings

import cv2
import numpy as np
import pytest

from conftest import SEVEN, blob_and_ring, sevens_beside_a_table
from digitreader.preprocess import ImageError, NoDigitFound, Photo, preprocess
from digitreader.preprocess.decode import DecodeParams, decode, read_file
from digitreader.preprocess.ink import InkParams, on_a_table, polarity_votes, remove_ruled_lines, small_copy
from digitreader.preprocess.normalize import (MNIST_BOX, MNIST_CENTRE, MNIST_SIZE, centre_of_mass,
                                              stroke_width)



def draw(path_points, size=(600, 800), box=(200, 150, 300), thickness=14, paper=0.8, ink=0.15):
    """A grey photo-like image (float32 RGB in [0, 1]) with a polyline digit.

    path_points are in a unit box placed at box = (x, y, side) in pixels.
    """
    height, width = size
    canvas = np.full((height, width), paper, np.float32)
    x, y, side = box
    points = np.array([(x + px * side, y + py * side) for px, py in path_points], np.int32)
    cv2.polylines(canvas, [points], False, ink, thickness, cv2.LINE_AA)
    return np.repeat(canvas[:, :, None], 3, axis=2)


def encode(image, extension=".png"):
    ok, data = cv2.imencode(extension, image)
    assert ok
    return data.tobytes()


class OneDigit:
    """The one digit preprocessing finds in an RGB image: its 28x28, its box, the polarity."""

    def __init__(self, rgb):
        page = preprocess(Photo.from_rgb(rgb))
        assert len(page.digits) == 1, f"one digit drawn, {len(page.digits)} found"
        self.digit, self.box, self.dark_ink = page.digits[0].image, page.digits[0].box, page.dark_ink


def ink_box(digit, level=0.3):
    rows, columns = np.nonzero(digit > level)
    return rows.max() - rows.min() + 1, columns.max() - columns.min() + 1


def test_output_is_mnist_shaped_float_in_unit_range():
    digit = OneDigit(draw(SEVEN)).digit
    assert digit.shape == (MNIST_SIZE, MNIST_SIZE)
    assert digit.dtype == np.float32
    assert digit.min() >= 0.0 and digit.max() <= 1.0
    assert digit.max() > 0.9, "strokes should be full white, as in MNIST"
    assert (digit > 0.1).mean() < 0.4, "background is black; ink is a minority as in MNIST"
    assert max(ink_box(digit)) in (MNIST_BOX - 1, MNIST_BOX, MNIST_BOX + 1)


def test_dark_ink_and_light_ink_give_the_same_digit():
    dark = OneDigit(draw(SEVEN, paper=0.8, ink=0.15))
    light = OneDigit(draw(SEVEN, paper=0.15, ink=0.8))
    assert dark.dark_ink and not light.dark_ink
    assert np.abs(dark.digit - light.digit).mean() < 0.02


@pytest.mark.parametrize("box", [(20, 20, 150), (600, 400, 180), (30, 420, 160)])
def test_off_centre_digit_lands_with_its_centre_of_mass_at_the_centre(box):
    result = OneDigit(draw(SEVEN, box=box))
    row, column = centre_of_mass(result.digit)
    assert abs(row - MNIST_CENTRE) <= 1 and abs(column - MNIST_CENTRE) <= 1
    assert abs(MNIST_CENTRE - (MNIST_SIZE - 1) / 2) <= 0.5
    x, y, width, height = result.box
    assert x >= box[0] - 15 and y >= box[1] - 15, "the box is found where the digit was drawn"


def test_a_thin_one_stays_thin_and_upright():
    digit = OneDigit(draw([(0.5, 0.0), (0.5, 1.0)], thickness=12)).digit
    height, width = ink_box(digit)
    assert height >= MNIST_BOX - 1
    assert 1 <= width <= 4


@pytest.mark.parametrize("pen", [4, 60])
def test_stroke_width_is_brought_near_mnist(pen):
    """A fine pen in a big photo must not fade; a marker must not fill the digit's holes."""
    big = draw(SEVEN, size=(3000, 4000), box=(1200, 800, 1400), thickness=pen)
    digit = OneDigit(big).digit
    assert digit.max() > 0.9
    width = stroke_width(digit > 0.5)
    assert 1.5 <= width <= 4.0, f"stroke {width:.1f} px wide at 28x28"


def test_transparent_background_is_composited_onto_white():
    opaque = (draw(SEVEN, paper=1.0, ink=0.0)[:, :, 0] * 255).astype(np.uint8)
    # Dark colour everywhere: only alpha says where the ink is, so alpha must be honoured.
    rgba = np.zeros(opaque.shape + (4,), np.uint8)
    rgba[:, :, 3] = 255 - opaque
    photo = decode(encode(rgba)).rgb
    assert photo.shape[2] == 3
    assert photo[0, 0].min() > 0.99, "transparent pixels are white paper"
    digit = OneDigit(photo).digit
    assert digit.max() > 0.9 and centre_of_mass(digit)[0] == pytest.approx(MNIST_CENTRE, abs=1)


def test_sixteen_bit_png_reads_like_eight_bit():
    eight = (draw(SEVEN)[:, :, 0] * 255).astype(np.uint8)
    sixteen = eight.astype(np.uint16) * 257
    from_eight = OneDigit(decode(encode(eight)).rgb).digit
    from_sixteen = OneDigit(decode(encode(sixteen)).rgb).digit
    assert np.abs(from_eight - from_sixteen).max() < 0.01


def test_a_float_tiff_with_no_data_pixels_reads_them_as_paper():
    # Scientific tools write NaN (no data) and infinities into float TIFFs.
    clean = draw(SEVEN)[:, :, 0].astype(np.float32)
    holes = clean.copy()
    holes[20:60, 20:60], holes[0, :], holes[-1, :5] = np.nan, np.inf, -np.inf
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # NaN must not reach a cast or a comparison
        from_holes = OneDigit(decode(encode(holes, ".tiff")).rgb).digit
    assert np.abs(from_holes - OneDigit(decode(encode(clean, ".tiff")).rgb).digit).max() < 0.01


def test_large_jpeg_is_decoded_reduced_to_the_working_size():
    big = (draw(SEVEN, size=(3000, 4000), box=(1000, 800, 1200), thickness=50) * 255).astype(np.uint8)
    photo = decode(encode(big, ".jpg")).rgb
    params = DecodeParams()
    assert params.jpeg_min_share * params.max_side <= max(photo.shape[:2]) <= params.max_side
    assert photo.shape[1] / photo.shape[0] == pytest.approx(4000 / 3000, rel=0.01)


@pytest.mark.parametrize("image", [
    np.full((300, 300), 255, np.uint8),
    np.full((300, 300), 90, np.uint8),
    np.clip(np.random.default_rng(0).normal(200, 3, (300, 300)), 0, 255).astype(np.uint8),
], ids=["white", "grey", "paper-noise"])
def test_blank_image_reports_no_digit(image):
    with pytest.raises(NoDigitFound, match="no digit found"):
        OneDigit(decode(encode(image)).rgb)


def test_far_specks_are_ignored_and_pen_lifted_pieces_kept():
    photo = draw(SEVEN, box=(250, 150, 300))
    cv2.circle(photo, (60, 550), 6, (0.1, 0.1, 0.1), -1)  # a speck far from the digit
    # A separate bar crossing the 7's stem, as some people write it: close, so it belongs.
    cv2.line(photo, (330, 420), (450, 420), (0.15, 0.15, 0.15), 14, cv2.LINE_AA)
    x, y, width, height = OneDigit(photo).box
    assert x >= 240 and y + height < 500, "the speck is not part of the box"
    assert x <= 335, "the crossing bar is"


def test_unreadable_files_raise_one_line_image_errors(tmp_path):
    (tmp_path / "empty.png").write_bytes(b"")
    (tmp_path / "text.png").write_text("not an image\n")
    jpeg = encode((draw(SEVEN) * 255).astype(np.uint8), ".jpg")
    (tmp_path / "cut.jpg").write_bytes(jpeg[: len(jpeg) // 2])
    for name, reason in [("missing.png", "no such file"), ("empty.png", "empty"),
                         ("text.png", "not an image"), ("cut.jpg", "truncated"), (".", "directory")]:
        with pytest.raises(ImageError, match=reason) as error:
            read_file(tmp_path / name).rgb
        assert "\n" not in str(error.value)


def test_non_ascii_paths_are_read(tmp_path):
    path = tmp_path / "zahl fünf 五.png"
    path.write_bytes(encode((draw(SEVEN) * 255).astype(np.uint8)))
    assert read_file(path).rgb.shape == (600, 800, 3)


def test_preprocessing_does_not_import_tensorflow():
    code = "import sys, digitreader.preprocess; print('tensorflow' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "False", result.stderr


def test_ruled_and_squared_lines_are_not_taken_for_the_digit():
    plain = OneDigit(draw(SEVEN))
    lined = draw(SEVEN)
    for y in range(25, 600, 40):
        cv2.line(lined, (0, y), (800, y), (0.55, 0.55, 0.7), 2, cv2.LINE_AA)
    for x in range(25, 800, 40):
        cv2.line(lined, (x, 0), (x, 600), (0.55, 0.55, 0.7), 2, cv2.LINE_AA)
    result = OneDigit(lined)
    assert result.box == pytest.approx(plain.box, abs=6)
    assert np.abs(result.digit - plain.digit).mean() < 0.05


def test_an_amount_fields_baseline_is_not_taken_for_digits():
    """Two digits over a printed baseline that touches them, scanned small (50 px tall) in a
    field under twice as wide as tall: the line is a rule, not a digit or part of one."""
    for width in (84, 95):
        field = np.minimum(draw(SEVEN, size=(50, width), box=(8, 6, 30), thickness=3),
                           draw(SEVEN, size=(50, width), box=(46, 6, 30), thickness=3))
        cv2.line(field, (3, 36), (width - 3, 36), (0.15,) * 3, 1, cv2.LINE_AA)
        photo = decode(encode((field * 255).astype(np.uint8)))
        page = preprocess(photo)
        assert len(page.digits) == 2, width
        assert all(digit.box.width < 0.4 * photo.rgb.shape[1] for digit in page.digits), width


def test_a_rule_is_bridged_only_across_so_strokes_crossing_it_stay_apart():
    """Strokes crossing a removed rule are joined again across it, not along it: two digits'
    legs through a cheque's baseline (or a scan's edge), a few pixels apart, stay two pieces."""
    mask = np.zeros((400, 1000), np.uint8)
    mask[300:303, 20:980] = 1  # the rule
    mask[100:320, 400:408] = 1  # two strokes through it, 8 px apart
    mask[100:320, 416:424] = 1
    count, labels = cv2.connectedComponents(remove_ruled_lines(mask), connectivity=8)
    assert count - 1 == 2, "two strokes, the rule gone"
    assert labels[200, 404] == labels[310, 404] != labels[200, 420], "each stroke whole, apart"


def test_a_thick_digit_filling_a_small_image_is_taken_whole():
    """Strokes about as wide as the paper estimate's disc lose their middles to the "paper"
    (a 4 written with a marker in a 64x56 image came out in two pieces, half its ink): the
    paper is estimated again with a disc wider than the widest stroke found."""
    four = [(0.7, 1.0), (0.7, 0.0), (0.05, 0.65), (0.95, 0.65)]
    photo = draw(four, size=(64, 56), box=(5, 6, 51), thickness=8)
    page = preprocess(Photo.from_rgb(photo))
    ink = photo[:, :, 0] < 0.5
    assert len(page.digits) == 1
    assert (page.mask_of(page.choose()[0]) & ink).sum() >= 0.95 * ink.sum()


def test_a_dash_is_one_mark_not_cut_into_pieces():
    """A stroke lying down has level columns, every one a valley as low as the next: it is
    never cut (else a dash would read as a row of a dozen marks)."""
    page = preprocess(decode(encode((draw([(0.0, 0.5), (1.0, 0.5)], box=(250, 150, 300),
                                          thickness=12) * 255).astype(np.uint8))))
    assert len(page.lattice.atoms) == 1 and len(page.digits) == 1


@pytest.mark.parametrize("dark_ink", [True, False])
def test_a_filled_blob_is_told_from_a_written_zero(dark_ink):
    """A blob wider than the paper estimate's disc keeps only its rim as ink, a ring like a
    written 0; the 0 encloses paper, the blob ink."""
    blob, zero = (preprocess(Photo.from_rgb(photo)) for photo in blob_and_ring(dark_ink))
    (rim,), (ring,) = blob.digits, zero.digits
    enclosed = ~rim.mask[rim.box.height // 2 - 20:rim.box.height // 2 + 20,
                         rim.box.width // 2 - 20:rim.box.width // 2 + 20]
    assert enclosed.all(), "the premise: the blob's middle is not taken for ink"
    assert rim.filled and all(crop.filled for crop in blob.crops)
    assert not ring.filled and not any(crop.filled for crop in zero.crops)


def test_dark_table_at_the_photo_edge_is_not_the_digit():
    photo = draw(SEVEN, box=(300, 200, 200))
    photo[:, :110] = 0.12  # the table beside the sheet of paper
    x, y, width, height = OneDigit(photo).box
    assert x >= 290 and width <= 220


@pytest.mark.parametrize("pen, table_level, grain", [(2, 0.14, 0.04), (3, 0.08, 0.04), (3, 0.14, 0.08)])
def test_a_small_number_beside_a_dark_table_edge_is_found_not_the_edge(pen, table_level, grain):
    """The smoothing of the paper estimate leaves a fringe of table along the sheet's edge
    darker than the paper "there", and the table's grain is large against its own dark
    level; either outweighed the pen's strokes."""
    photo = sevens_beside_a_table(pen, table_level, grain)
    page = preprocess(decode(encode((photo * 255).astype(np.uint8), ".jpg")))
    boxes = [digit.box.scaled(page.photo.scale) for digit in page.digits]  # the file's pixels
    assert len(boxes) == 2 and all(290 <= box.x and box.right <= 450 for box in boxes), boxes


def test_a_page_on_a_table_is_also_read_as_dark_ink_when_the_votes_say_light():
    """With the table over the sheet's top and right, the page is brighter than a local
    median dragged down by the table and than the frame's border: both votes say light ink.
    The dark-ink reading is made too, for the model to choose."""
    photo = decode(encode((sevens_beside_a_table(over_the_top=0.15) * 255).astype(np.uint8), ".jpg"))
    assert polarity_votes(photo.gray, small_copy(photo.gray)) == (False, False), "the premise"
    page = preprocess(photo)
    assert not page.dark_ink and page.alternative is not None and page.alternative.dark_ink
    boxes = [digit.box.scaled(photo.scale) for digit in page.alternative.digits]
    assert len(boxes) == 2 and all(290 <= box.x and box.right <= 450 for box in boxes), boxes


def test_chalk_on_a_board_with_dark_corners_is_no_page_on_a_table():
    """A board darkens towards its corners as a table beside a page would, but even where
    lit it is darker than paper: light ink is not doubted there."""
    height, width = 900, 1200
    rows, columns = np.indices((height, width))
    reach = np.hypot(rows / (height / 2) - 1, columns / (width / 2) - 1)
    board = (0.26 * np.clip(1.2 - 0.75 * reach ** 2, 0.1, 1)).astype(np.float32)
    board = np.repeat(board[:, :, None], 3, axis=2)
    for x in (400, 520):
        points = np.array([(x, 350), (x + 80, 350), (x + 30, 470)], np.int32)
        cv2.polylines(board, [points], False, (0.8, 0.8, 0.8), 6, cv2.LINE_AA)
    small = small_copy(Photo.from_rgb(board).gray)
    assert on_a_table(small, InkParams(min_page_level=0.0)), "the premise: it is dark at the border"
    assert not on_a_table(small)
    page = preprocess(Photo.from_rgb(board))
    assert not page.dark_ink and page.alternative is None and len(page.digits) == 2


def _jpeg_with_exif_orientation(image, orientation):
    """A JPEG whose EXIF says how to turn it, as phones write them."""
    import struct

    jpeg = encode(image, ".jpg")
    tiff = (b"MM\x00\x2a" + struct.pack(">I", 8) + struct.pack(">H", 1)
            + struct.pack(">HHIHH", 0x0112, 3, 1, orientation, 0) + struct.pack(">I", 0))
    payload = b"Exif\x00\x00" + tiff
    return jpeg[:2] + b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload + jpeg[2:]


def test_jpeg_exif_orientation_is_honoured():
    upright = (draw(SEVEN) * 255).astype(np.uint8)
    stored = cv2.rotate(upright, cv2.ROTATE_90_COUNTERCLOCKWISE)  # as the sensor saw it
    photo = decode(_jpeg_with_exif_orientation(stored, 6)).rgb  # 6: turn 90° clockwise
    assert photo.shape[:2] == upright.shape[:2]
    assert np.abs(photo - upright / 255.0).mean() < 0.02


def test_a_png_too_large_to_decode_safely_is_refused_from_its_header():
    flat = cv2.imencode(".png", np.full((100, 100), 255, np.uint8))[1].tobytes()
    # The same PNG claiming to be 20000 x 20000 (400 megapixels): refused before decoding.
    huge = flat[:16] + (20000).to_bytes(4, "big") + (20000).to_bytes(4, "big") + flat[24:]
    with pytest.raises(ImageError, match="too large"):
        decode(huge).rgb


def test_data_after_the_image_is_ignored_as_decoders_do():
    """A phone's motion photo is a JPEG with a video after it; some tools pad PNGs."""
    image = (draw(SEVEN) * 255).astype(np.uint8)
    video = b"\x00\x00\x00\x18ftypmp42" + np.random.default_rng(0).bytes(5000)
    for extension, trailing in ((".jpg", video), (".png", b"\0" * 300 + b"tail")):
        data = encode(image, extension)
        assert np.array_equal(decode(data + trailing).rgb, decode(data).rgb), extension
        with pytest.raises(ImageError, match="truncated"):
            decode(data[: len(data) * 2 // 3])


def _patched_tiff(width, height):
    """A small TIFF whose header claims width x height pixels (16-bit RGB, deflate)."""
    import struct

    data = bytearray(cv2.imencode(".tiff", np.zeros((8, 8, 3), np.uint16),
                                  [cv2.IMWRITE_TIFF_COMPRESSION, 8])[1].tobytes())
    order = "<" if data[:2] == b"II" else ">"
    (offset,) = struct.unpack(order + "I", data[4:8])
    (count,) = struct.unpack(order + "H", data[offset:offset + 2])
    for entry in range(offset + 2, offset + 2 + 12 * count, 12):
        tag, kind = struct.unpack(order + "HH", data[entry:entry + 4])
        if tag in (256, 257):
            value = width if tag == 256 else height
            data[entry + 8:entry + 12] = struct.pack(order + ("HH" if kind == 3 else "I"),
                                                     *((value, 0) if kind == 3 else (value,)))
    return bytes(data)


def _patched_webp(side):
    """A small lossless WebP whose bitstream header claims side x side pixels."""
    data = bytearray(cv2.imencode(".webp", np.zeros((8, 8, 3), np.uint8))[1].tobytes())
    assert data[12:16] == b"VP8L"
    bits = int.from_bytes(data[21:25], "little")  # 14 bits width - 1, 14 bits height - 1, ...
    bits = (bits & ~0xFFFFFFF) | (side - 1) | ((side - 1) << 14)
    data[21:25] = bits.to_bytes(4, "little")
    return bytes(data)


@pytest.mark.parametrize("data, size", [
    (_patched_tiff(16000, 16000), "16000x16000"),
    (_patched_webp(16383), "16383x16383"),
], ids=["tiff-16000", "webp-16383"])
def test_images_too_large_to_decode_are_refused_from_their_header(data, size):
    """A 2 MB TIFF or a 10 KB WebP can claim a quarter of a gigapixel: gigabytes to decode."""
    with pytest.raises(ImageError, match=f"too large: {size} pixels"):
        decode(data)


def test_a_huge_jpeg_is_read_at_the_reduced_size_it_decodes_to():
    """A 200-megapixel phone photo decodes at 1/8 size: it must not be refused."""
    from digitreader.preprocess.formats import read_header

    jpeg = bytearray(encode((draw(SEVEN) * 255).astype(np.uint8), ".jpg"))
    start = jpeg.index(b"\xff\xc0")  # baseline start of frame: height, then width
    jpeg[start + 5:start + 9] = (12240).to_bytes(2, "big") + (16320).to_bytes(2, "big")
    assert read_header(bytes(jpeg))[1:] == (16320, 12240)
    try:
        decode(bytes(jpeg))
    except ImageError as error:  # the claimed size does not match the data: damaged, not large
        assert "too large" not in str(error)


def test_every_size_of_image_down_to_one_pixel_gets_an_answer():
    for height, width in [(1, 1), (5, 6), (2, 1), (1, 5000), (3, 3), (28, 28)]:
        image = np.full((height, width), 255, np.uint8)
        image[height // 2, width // 2] = 0
        try:
            page = preprocess(decode(encode(image)))
        except NoDigitFound:
            continue
        assert all(digit.image.shape == (MNIST_SIZE, MNIST_SIZE) for digit in page.digits)


def test_a_digit_drawn_with_a_one_pixel_pencil_is_read():
    """Paint's pencil, 1-bit scans: a line one pixel wide without anti-aliasing."""
    canvas = np.full((400, 400), 255, np.uint8)
    cv2.polylines(canvas, [np.array([[120, 90], [280, 95], [190, 320]])], False, 0, 1)
    digit = OneDigit(decode(encode(canvas)).rgb)
    assert np.isfinite(digit.digit).all() and digit.digit.max() > 0.9
    assert 1.5 <= stroke_width(digit.digit > 0.5) <= 4.0


def test_largest_values_are_found_exactly_ties_and_ragged_edges_included():
    # The ink peak and the polarity votes rest on it: a wrong value would move the threshold.
    from digitreader.preprocess.ink import largest
    rng = np.random.default_rng(5)
    for trial in range(600):
        height, width = (int(side) for side in rng.integers(1, 200, 2))
        if trial % 3 == 2:
            # As the polarity votes' deviations: negative, one spike in every 8x8 tile, so
            # that the count largest are exactly the spikes above the bound.
            image = -1 - rng.random((height, width))
            image[::8, ::8] = rng.random(image[::8, ::8].shape)
        else:
            levels = int(rng.integers(1, 300))  # few levels: ties by the hundred at the bound
            image = rng.integers(0, levels, (height, width)) / 255
        image = image.astype(np.float32 if trial % 2 else np.float64)
        # Mostly fewer than the image's 8x8 tiles (the bound is used), sometimes all pixels.
        count = int(rng.integers(1, height * width + 1)) if rng.random() < 0.1 else \
            int(rng.integers(1, max(2, height * width // 64)))
        expected = np.sort(image.ravel())[-count:]
        assert np.array_equal(np.sort(largest(image, count)), expected), (height, width, count)
