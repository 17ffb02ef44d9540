"""``python -m ag_bridge.conformance``: the same command as ``ag-bridge conformance``."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
