"""``python -m data.generate``: see :mod:`data.generate.cli`."""
import sys

from data.generate.cli import main

sys.exit(main())
