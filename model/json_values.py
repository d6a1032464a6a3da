"""Values as strict JSON, shared by the API's answers and the scoring log.

Its own module, on numpy alone: a process that only writes or reads the scoring log (the log's command,
its importers) does not import the model's libraries to turn a feature value into JSON.
"""
from __future__ import annotations

from typing import Any

import numpy as np


def json_value(v: Any) -> Any:
    """A feature value as strict JSON: numbers, strings or null (never NaN or ±Infinity, which are
    not JSON, and never numpy types)."""
    if v is None or (isinstance(v, (float, np.floating)) and not np.isfinite(v)):
        return None
    if isinstance(v, (np.floating, float)):
        return float(v)
    if isinstance(v, (np.integer, int)):
        return int(v)
    return str(v)
