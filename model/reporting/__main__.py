"""``python -m model.reporting``: write docs/methodology.md from the current model."""
import sys

from model.reporting.methodology import main

sys.exit(main())
