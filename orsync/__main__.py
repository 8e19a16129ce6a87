"""Entry point for ``python -m orsync``."""

from orsync.cli import main

if __name__ == "__main__":
    main()
