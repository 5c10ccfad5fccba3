"""``python -m helpers``: the report runner's command line."""

import sys

from helpers.pipeline.cli import main

if __name__ == "__main__":
    sys.exit(main())
