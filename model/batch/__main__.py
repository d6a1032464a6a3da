"""``python -m model.batch``: see :mod:`model.batch`."""
import sys

from model.batch import main

sys.exit(main())
