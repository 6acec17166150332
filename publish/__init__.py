"""publish: turn a practice's linked articles into an EPUB and a print-ready PDF."""

__version__ = "0.1.0"
