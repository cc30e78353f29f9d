"""Stand-in for the playwright package (the twin has no browsers): importable, versioned."""

__version__ = "1.49.1"
