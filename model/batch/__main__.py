"""``python -m model.batch``: see :mod:`model.batch.cli`."""
import sys

from model.batch.cli import main

sys.exit(main())
