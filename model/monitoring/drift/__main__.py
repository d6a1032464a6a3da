"""``python -m model.monitoring.drift``: see :mod:`model.monitoring.drift.cli`."""
import sys

from model.monitoring.drift.cli import main

sys.exit(main())
