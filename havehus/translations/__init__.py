"""Translations residents review: the resident-facing strings of a language with their context
and SMS preview, translators' suggestions, and the manager's accepted corrections."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the review pages, and lay accepted corrections over the catalogues."""
    from havehus.extensions import babel
    from havehus.translations.overrides import OverlayDomain
    from havehus.translations.views import bp

    # One domain for the process: the compiled catalogues are cached in it once.
    if not isinstance(babel.__dict__.get("domain_instance"), OverlayDomain):
        babel.__dict__["domain_instance"] = OverlayDomain()
    app.register_blueprint(bp)
