"""digitreader: read handwritten digits and numbers from photos (see README.md).

Importing the package sets OpenCV's own limit on decoded image size, for the formats whose
headers preprocess.formats does not read; OpenCV reads it once, when it is first imported.
"""

import os

# Images with more pixels than this are not decoded (preprocess.decode.DecodeParams).
MAX_DECODED_PIXELS = 150_000_000
os.environ.setdefault("OPENCV_IO_MAX_IMAGE_PIXELS", str(MAX_DECODED_PIXELS))
