"""Settings shared by the examples: small when the test suite runs them.

``GRIDSHIFT_EXAMPLE_HOURS`` shortens every run (the tests use 24 h);
``GRIDSHIFT_EXAMPLE_OUT`` is where the examples write (default ``results/examples``).
"""

import os
from pathlib import Path

HOURS = int(os.environ.get("GRIDSHIFT_EXAMPLE_HOURS", "168"))
OUT = Path(os.environ.get("GRIDSHIFT_EXAMPLE_OUT", "results/examples"))
SEEDS = [0, 1] if HOURS < 72 else [0, 1, 2, 3, 4]
