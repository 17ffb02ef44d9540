"""``python -m ag_bridge``: the ``ag-bridge`` command line."""

import sys

from ag_bridge.cli import main

if __name__ == "__main__":
    sys.exit(main(prog="python -m ag_bridge"))
