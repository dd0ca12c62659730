"""`python -m annotated_edition check [PATH]`."""

import sys

from .cli import main

sys.exit(main())
