"""Feed addresses as people use them: https for copying, webcal for phones, a QR code."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlencode, urlsplit, urlunsplit

import segno


@dataclass(frozen=True)
class FeedLink:
    """One feed's address in the forms the subscribe page offers."""

    https: str
    webcal: str
    #: An SVG QR code of the webcal address as a data: URI (the CSP allows data: images).
    qr: str


@lru_cache(maxsize=256)
def qr_data_uri(text: str) -> str:
    """A QR code of text as an SVG data: URI, without inline style."""
    return segno.make(text, error="m").svg_data_uri(scale=5, border=2, dark="#1f2d3d")


def webcal_address(address: str) -> str:
    """The same address as webcal://, which calendar apps open as "subscribe"."""
    # The calendar app itself then fetches it over http(s) from the same host.
    return urlunsplit(("webcal", *urlsplit(address)[1:]))


def feed_link(public_url: str, path: str, language: str | None = None) -> FeedLink:
    """The https and webcal addresses of a feed path, with ?lang= when not the default."""
    query = urlencode({"lang": language}) if language else ""
    https = f"{public_url.rstrip('/')}{path}" + (f"?{query}" if query else "")
    webcal = webcal_address(https)
    return FeedLink(https=https, webcal=webcal, qr=qr_data_uri(webcal))
