"""``python -m publish``."""

from publish.cli import main

# Guarded: worker processes (parallel PDF parts, handouts) start by importing the parent's
# main module, and must not run the command line again.
if __name__ == "__main__":
    main()
