"""Activity photos: checked, resized and stripped of metadata before they are stored.

A photo is decoded with Pillow (so a file that only claims to be an image is refused),
turned upright by its EXIF orientation, scaled to at most MAX_SIDE pixels and saved again as
JPEG without any metadata (no camera, no GPS position). Files live in the instance folder
under photos/, named by a random id, and are served by /photos/<name>.
"""

from __future__ import annotations

import re
import uuid
from io import BytesIO
from pathlib import Path

from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from havehus.errors import HavehusError

#: Largest upload accepted, in bytes.
MAX_BYTES = 8 * 1024 * 1024
#: Longest side of the stored photo, in pixels.
MAX_SIDE = 1600
#: Refuse "decompression bombs": images claiming more pixels than this.
MAX_PIXELS = 40_000_000
ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP")
NAME = re.compile(r"^[0-9a-f]{32}\.jpg$")


def photo_dir(instance_path: str) -> Path:
    return Path(instance_path) / "photos"


def _refuse(message: str) -> HavehusError:
    return HavehusError(message, "invalid_photo", fields={"photo": message})


def store_photo(instance_path: str, data: bytes) -> str:
    """Check, resize and store an uploaded photo; returns its file name."""
    if len(data) > MAX_BYTES:
        raise _refuse(
            _("The photo is too large: at most %(mb)d MB.", mb=MAX_BYTES // (1024 * 1024))
        )
    if not data:
        raise _refuse(_("The file is empty."))
    try:
        with Image.open(BytesIO(data)) as probe:
            kind = probe.format
            width, height = probe.size
            probe.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError):
        raise _refuse(_("This file is not a photo. Use a JPEG, PNG or WebP picture.")) from None
    if kind not in ACCEPTED_FORMATS:
        raise _refuse(_("This file is not a photo. Use a JPEG, PNG or WebP picture."))
    if width * height > MAX_PIXELS:
        raise _refuse(_("The photo has too many pixels."))
    with Image.open(BytesIO(data)) as image:
        upright = ImageOps.exif_transpose(image)
        upright.thumbnail((MAX_SIDE, MAX_SIDE))
        rgb = upright.convert("RGB")
    name = f"{uuid.uuid4().hex}.jpg"
    folder = photo_dir(instance_path)
    folder.mkdir(parents=True, exist_ok=True)
    # Saved without exif= or info: nothing of the original's metadata travels along.
    rgb.save(folder / name, "JPEG", quality=85, optimize=True)
    return name


def delete_photo(instance_path: str, name: str | None) -> None:
    """Remove a stored photo file (after the activity no longer points at it)."""
    if name and NAME.match(name):
        (photo_dir(instance_path) / name).unlink(missing_ok=True)
