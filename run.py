"""Start the mailflow daemon: the same as `mailflow run`, for checkouts without an install."""

import sys

from mailflow.cli import main

if __name__ == "__main__":
    raise SystemExit(main(["run", *sys.argv[1:]]))
