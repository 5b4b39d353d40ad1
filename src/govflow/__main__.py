"""`python -m govflow` is the `govflow` command."""

import sys

from govflow.cli import main

sys.exit(main())
