"""Images made ready for the stores, the same way on every build.

- Every raster image loses its metadata (EXIF, GPS position, XMP, comments): a phone photo's position
  is where a client's therapist lives. A JPEG's colour profile and Adobe marker stay (they change colours).
- An image above ``MAX_PIXELS`` or ``MAX_BYTES`` is scaled (Lanczos) and recompressed with Pillow,
  and the change is reported: Amazon's Kindle Publishing Guidelines ask for images under 5 MB, Apple's
  Asset Guide for at most 4 million pixels; a 30 MB photo otherwise makes a 30 MB EPUB.
- The cover is checked: below 1000×1600 px or far from 1:1.6 is a warning; unreadable or fully
  transparent is an error.

Pillow writes the same bytes for the same input, so builds stay reproducible.
"""

from __future__ import annotations

import dataclasses
import io
import math
import warnings
from dataclasses import dataclass
from pathlib import Path

from publish.errors import Problems

MAX_PIXELS = 4_000_000
MAX_BYTES = 1_048_576
JPEG_QUALITY = 85
JPEG_QUALITIES = (85, 78, 70, 62)
COVER_MIN = (1000, 1600)  # width, height: Kindle's and Kobo's minimum for a sharp cover
COVER_RATIO = 1.6  # height / width
COVER_RATIO_TOLERANCE = 0.15  # 1:1.36 to 1:1.84 is still a book's shape

# JPEG markers kept: APP0 (JFIF), APP2 (ICC profile), APP14 (Adobe: how to read CMYK); every other
# APPn (APP1 is EXIF and XMP, APP13 Photoshop IPTC) and comments (COM) are metadata.
_KEPT_APP = {0xE0, 0xE2, 0xEE}
_PNG_METADATA = {b"eXIf", b"tEXt", b"zTXt", b"iTXt", b"tIME"}
_RASTER = {"image/jpeg", "image/png", "image/webp", "image/gif"}


@dataclass(frozen=True)
class PreparedImage:
    """An image's bytes as the book carries them, and what was done to them."""

    data: bytes
    scaled_from: tuple[int, int] | None = None  # the original size, when scaled
    size: tuple[int, int] | None = None  # pixels, for raster images


def strip_jpeg_metadata(data: bytes) -> bytes:
    """A JPEG without its metadata segments, its image data untouched (no recompression)."""
    if not data.startswith(b"\xff\xd8"):
        return data
    output = bytearray(b"\xff\xd8")
    position = 2
    while position + 4 <= len(data):
        if data[position] != 0xFF:
            return data  # not a marker where one should be: leave the file as it is
        marker = data[position + 1]
        if marker == 0xFF:  # fill byte
            position += 1
            continue
        if marker == 0xDA:  # start of scan: the rest is image data
            output += data[position:]
            return bytes(output)
        length = int.from_bytes(data[position + 2 : position + 4], "big")
        segment = data[position : position + 2 + length]
        if not ((0xE0 <= marker <= 0xEF and marker not in _KEPT_APP) or marker == 0xFE):
            output += segment
        position += 2 + length
    return data


def strip_png_metadata(data: bytes) -> bytes:
    """A PNG without its metadata chunks (EXIF, text, time), every other chunk byte for byte."""
    signature = b"\x89PNG\r\n\x1a\n"
    if not data.startswith(signature):
        return data
    output = bytearray(signature)
    position = len(signature)
    while position + 12 <= len(data):
        length = int.from_bytes(data[position : position + 4], "big")
        kind = data[position + 4 : position + 8]
        end = position + 12 + length
        if kind not in _PNG_METADATA:
            output += data[position:end]
        position = end
    return bytes(output) if position == len(data) else data


_ORIENTATION = 0x0112  # EXIF tag


def prepare_image(data: bytes, media_type: str) -> PreparedImage:
    """An image's bytes without metadata, scaled and recompressed when above the size limits.

    ``data`` is what the image check let through (``publish.images.image_bytes``: a sanitised SVG is kept as is).
    """
    if media_type not in _RASTER:
        return PreparedImage(data)
    from PIL import Image

    # Pillow warns of corrupt EXIF (a UserWarning) as it reads the header: the EXIF is left out anyway.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        with Image.open(io.BytesIO(data)) as image:
            size = image.size
            animated = getattr(image, "is_animated", False)
            too_big = size[0] * size[1] > MAX_PIXELS or len(data) > MAX_BYTES
            # EXIF says how to turn the picture (a phone held sideways); with the metadata gone, only the
            # pixels turned the right way up keep the photo upright.
            turned = _turned(image, data, media_type)
            if (too_big or turned) and not animated:
                prepared = _scaled(image, media_type)
                return prepared if too_big else dataclasses.replace(prepared, scaled_from=None)
            if media_type == "image/jpeg":
                return PreparedImage(strip_jpeg_metadata(data), size=size)
            if media_type == "image/png":
                return PreparedImage(strip_png_metadata(data), size=size)
            if media_type == "image/webp" and ("exif" in image.info or "xmp" in image.info):
                return PreparedImage(_resaved_webp(image), size=size)
            return PreparedImage(data, size=size)  # a GIF has no EXIF; re-encoding would lose an animation's timing


def _png_chunk_kinds(data: bytes) -> set[bytes] | None:
    """The kinds of chunk a PNG holds, or None when its chunks do not add up to the file."""
    kinds, position = set(), 8
    while position + 12 <= len(data):
        kinds.add(data[position + 4 : position + 8])
        position += 12 + int.from_bytes(data[position : position + 4], "big")
    return kinds if position == len(data) else None


def _turned(image: object, data: bytes, media_type: str) -> bool:
    """Whether the image's EXIF (or XMP) orientation says to turn it."""
    from PIL import Image

    assert isinstance(image, Image.Image)
    if media_type == "image/png":
        # Pillow looks for a PNG's EXIF by decoding the whole image (an eXIf chunk may follow the pixels);
        # the orientation can only be in a metadata chunk (eXIf, or XMP or raw EXIF in text), so without one
        # there is nothing to decode for.
        kinds = _png_chunk_kinds(data)
        if kinds is not None and not kinds & _PNG_METADATA:
            return False
    return image.getexif().get(_ORIENTATION, 1) not in (0, 1)


def _resaved_webp(image: object) -> bytes:
    """A WebP written again by Pillow, losslessly, with its pixels and colour profile and nothing else."""
    from PIL import Image

    assert isinstance(image, Image.Image)
    output = io.BytesIO()
    options: dict[str, object] = {"lossless": True, "quality": 100}
    if "icc_profile" in image.info:
        options["icc_profile"] = image.info["icc_profile"]
    frame = image.copy()
    frame.info = {}
    frame.save(output, "WEBP", **options)
    return output.getvalue()


def _scaled(image: object, media_type: str) -> PreparedImage:
    """The image scaled to at most ``MAX_PIXELS`` and recompressed under ``MAX_BYTES`` where it can be."""
    from PIL import Image, ImageOps

    assert isinstance(image, Image.Image)
    original = image.size
    picture = ImageOps.exif_transpose(image)  # a phone photo stands the right way up once EXIF is gone
    factor = min(1.0, math.sqrt(MAX_PIXELS / (picture.width * picture.height)))
    width, height = max(1, int(picture.width * factor)), max(1, int(picture.height * factor))
    if (width, height) != picture.size:
        picture = picture.resize((width, height), Image.Resampling.LANCZOS)
    output = io.BytesIO()
    icc = image.info.get("icc_profile")
    if media_type == "image/jpeg":
        picture = picture.convert("RGB") if picture.mode not in ("RGB", "L", "CMYK") else picture
        for quality in JPEG_QUALITIES:  # the best quality that fits, down to one that still looks like a photo
            output = io.BytesIO()
            picture.save(output, "JPEG", quality=quality, optimize=True, **({"icc_profile": icc} if icc else {}))
            if output.tell() <= MAX_BYTES:
                break
    elif media_type == "image/webp":
        picture.save(output, "WEBP", quality=JPEG_QUALITY, method=6)
    elif media_type == "image/gif":
        picture.save(output, "GIF", optimize=True)
    else:
        picture.save(output, "PNG", optimize=True, **({"icc_profile": icc} if icc else {}))
    return PreparedImage(output.getvalue(), scaled_from=original, size=(width, height))


def _shown(size: int) -> str:
    return f"{size / 1_048_576:.1f} MB" if size >= 1_048_576 else f"{max(1, round(size / 1024))} KB"


def describe_scaling(name: str, prepared: PreparedImage, original_bytes: int) -> str:
    """One line for the build's report: "images/big.jpg: 6000×4000 px, 30.2 MB → 2449×1632 px, 1.1 MB"."""
    assert prepared.scaled_from is not None and prepared.size is not None
    before = f"{prepared.scaled_from[0]}×{prepared.scaled_from[1]} px, {_shown(original_bytes)}"
    after = f"{prepared.size[0]}×{prepared.size[1]} px, {_shown(len(prepared.data))}"
    return f"{name}: scaled for e-readers, {before} → {after}"


def check_cover(path: Path, media_type: str, problems: Problems, where: Path, line: int | None) -> None:
    """Report a cover that stores would refuse or show badly (see the module's docstring)."""
    if media_type == "image/svg+xml":
        return  # drawn to any size
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            image.load()
            width, height = image.size
            transparent = _fully_transparent(image)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        problems.error(where, line, f"cover {path.name} cannot be read as an image")
        return
    if transparent:
        problems.error(where, line, f"cover {path.name} is fully transparent: it would show as a blank page")
        return
    if width < COVER_MIN[0] or height < COVER_MIN[1]:
        problems.warning(
            where, line,
            f"cover {path.name} is {width}×{height} px: stores ask for at least {COVER_MIN[0]}×{COVER_MIN[1]} px "
            "(1600×2560 is best)",
        )  # fmt: skip
    ratio = height / width if width else 0
    if abs(ratio - COVER_RATIO) > COVER_RATIO_TOLERANCE * COVER_RATIO:
        problems.warning(
            where, line,
            f"cover {path.name} is {width}×{height} px, 1:{ratio:.2f}: a book's cover is about 1:{COVER_RATIO} "
            "(portrait), or readers crop or letterbox it",
        )  # fmt: skip


def _fully_transparent(image: object) -> bool:
    from PIL import Image

    assert isinstance(image, Image.Image)
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        alpha = image.convert("RGBA").getchannel("A")
        return alpha.getextrema()[1] == 0
    return False
