"""pytest 7.4 (stand-in): a second version of pytest, which nixpkgs' python3.withPackages
refuses to put next to pytest 8 (the two collide on pytest/__init__.py)."""

__version__ = "7.4.4"
