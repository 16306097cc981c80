"""How many SMS segments a text costs: GSM-7 (160/153) or UCS-2 (70/67 per segment)."""

from __future__ import annotations

from dataclasses import dataclass

# GSM 03.38 basic character set (æøåÆØÅ are in it) and the extension table (2 septets each).
GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = set("^{}\\[~]|€\f")

#: (units in a text that fits one segment, units per segment of a longer text)
GSM7_LIMITS = (160, 153)
UCS2_LIMITS = (70, 67)


@dataclass(frozen=True)
class SegmentInfo:
    """What a text costs to send: its encoding, length in the encoding's units, and segments."""

    characters: int
    encoding: str  # "GSM-7" or "UCS-2"
    #: Septets (GSM-7: extension characters take two) or UTF-16 code units (UCS-2).
    units: int
    segments: int


def is_gsm7(text: str) -> bool:
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENDED for ch in text)


def _unit_sizes(text: str) -> tuple[str, list[int], tuple[int, int]]:
    """The text's encoding, each character's size in it, and that encoding's limits."""
    if is_gsm7(text):
        return "GSM-7", [2 if ch in GSM7_EXTENDED else 1 for ch in text], GSM7_LIMITS
    # UCS-2 counts UTF-16 code units: an emoji outside the BMP takes two.
    return "UCS-2", [len(ch.encode("utf-16-le")) // 2 for ch in text], UCS2_LIMITS


def _pack(sizes: list[int], per_segment: int) -> int:
    """Segments of a long text: an escape pair or a surrogate pair is never split in two."""
    segments, room = 1, per_segment
    for size in sizes:
        if size > room:
            segments, room = segments + 1, per_segment
        room -= size
    return segments


def describe(text: str) -> SegmentInfo:
    """Characters, encoding, units and segments of a text as it would be sent."""
    encoding, sizes, (single, per_segment) = _unit_sizes(text)
    units = sum(sizes)
    if not text:
        segments = 0
    elif units <= single:
        segments = 1
    else:
        segments = _pack(sizes, per_segment)
    return SegmentInfo(characters=len(text), encoding=encoding, units=units, segments=segments)


def count_segments(text: str) -> int:
    """Segments the text is split into when sent (0 for an empty text)."""
    return describe(text).segments
