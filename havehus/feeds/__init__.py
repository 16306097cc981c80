"""Calendar feeds: ICS building, caching (ETag), feed tokens and the subscribe page."""
