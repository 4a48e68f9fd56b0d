"""Uploaded profile pictures: checked, re-encoded and resized before anything is stored.

An upload is at most ``MAX_IMAGE_BYTES``; Pillow must recognise it as JPEG, PNG, WebP or
GIF (first frame) of at most ``MAX_PIXELS`` pixels, so a decompression bomb is refused
before it is decoded. The picture is turned upright (EXIF orientation), scaled to the
sizes of ``IMAGE_SIZES`` and written anew without metadata: a photo as JPEG on white, a
logo as PNG (it keeps its transparency). Nothing of the uploaded file is kept.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass

from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from circle.core.errors import ValidationFailed
from circle.models import IMAGE_SIZES

#: Largest upload accepted (bytes).
MAX_IMAGE_BYTES = 5 * 1024 * 1024
#: Largest picture decoded (pixels): a 24-megapixel photo fits, a bomb does not.
MAX_PIXELS = 40_000_000
#: Formats Pillow may open.
FORMATS = ("JPEG", "PNG", "WEBP", "GIF")


@dataclass(frozen=True)
class Encoded:
    """One size of a re-encoded picture."""

    size: str
    content_type: str
    data: bytes
    width: int
    height: int

    @property
    def digest(self) -> str:
        """SHA-256 of the bytes, hex."""
        return hashlib.sha256(self.data).hexdigest()


def encode(upload: bytes, kind: str) -> list[Encoded]:
    """Every stored size of an uploaded ``kind`` ("photo" or "logo"), or ValidationFailed."""
    picture = _open(upload)
    out = []
    for size, longest in IMAGE_SIZES.items():
        scaled = picture.copy()
        scaled.thumbnail((longest, longest), Image.Resampling.LANCZOS)
        out.append(_write(scaled, kind, size))
    return out


def _refused() -> ValidationFailed:
    """The one message for every file that is not a picture we take."""
    return ValidationFailed(
        _("Please choose a JPEG, PNG, WebP or GIF picture of at most 5 MB."), field="picture"
    )


def _open(upload: bytes) -> Image.Image:
    """The decoded, upright picture, in RGB or RGBA."""
    if not upload or len(upload) > MAX_IMAGE_BYTES:
        raise _refused()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(upload), formats=FORMATS) as source:
                if source.width * source.height > MAX_PIXELS:
                    raise _refused()
                source.seek(0)
                source.load()
                picture = ImageOps.exif_transpose(source)
    except ValidationFailed:
        raise
    except (
        UnidentifiedImageError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
        OSError,
        ValueError,
        SyntaxError,
        EOFError,
    ):
        raise _refused() from None
    has_alpha = picture.mode in ("RGBA", "LA", "PA") or (
        picture.mode == "P" and "transparency" in picture.info
    )
    return picture.convert("RGBA" if has_alpha else "RGB")


def _write(picture: Image.Image, kind: str, size: str) -> Encoded:
    """Encode one size: a photo as JPEG (transparency on white), a logo as PNG."""
    buffer = io.BytesIO()
    if kind == "logo":
        picture.save(buffer, format="PNG", optimize=True)
        content_type = "image/png"
    else:
        if picture.mode == "RGBA":
            background = Image.new("RGB", picture.size, "white")
            background.paste(picture, mask=picture.getchannel("A"))
            picture = background
        picture.save(buffer, format="JPEG", quality=85, optimize=True, progressive=True)
        content_type = "image/jpeg"
    return Encoded(size, content_type, buffer.getvalue(), picture.width, picture.height)
