"""`python -m strategies.cli`: the `optivllm` command."""

import sys

from strategies.cli import main

sys.exit(main())
