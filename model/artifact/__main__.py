"""``python -m model.artifact status|pull``: a host's commands about the model it serves.

``status`` says whether the current model fits the data folder (``make run`` retrains when it does
not); ``pull`` installs the version a registry alias names (:mod:`model.registry`, docs/model-registry.md).
They live here, above both :mod:`model.artifact` and the registry, because ``pull`` loads the version
with the server's own ``Scorer`` and the artifact module is what the Scorer is built from.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from model.artifact import load_artifact, needs_training
from settings import get_settings


def main(argv: list[str] | None = None) -> int:
    """``python -m model.artifact status --model-dir M --data-dir D``: exit 1 when training is needed.

    ``python -m model.artifact pull --alias champion --model-dir M``: install the registry version the
    alias names and point CURRENT at it (exit 2 with a one-line error; docs/model-registry.md)."""
    s = get_settings()
    p = argparse.ArgumentParser(prog="python -m model.artifact")
    p.add_argument("command", choices=["status", "pull"])
    p.add_argument("--model-dir", type=Path, default=s.model_dir)
    p.add_argument("--data-dir", type=Path, default=s.data_dir)
    p.add_argument("--alias", default=s.model_alias, help="pull: registry alias of the version to serve")
    p.add_argument("--name", default=s.model_registry_name, help="pull: registered model name")
    p.add_argument("--tracking-uri", default=s.tracking_uri, help="pull: MLflow tracking store")
    a = p.parse_args(argv)
    if a.command == "pull":
        # the registry brings the Scorer, about a second of imports that status, run by every
        # `make run`, does not need
        from model.registry import pull_command  # noqa: PLC0415

        return pull_command(a.tracking_uri, a.name, a.alias, a.model_dir)
    reason = needs_training(a.model_dir, a.data_dir, None)
    if reason is None:
        meta = load_artifact(a.model_dir).metadata
        if meta.features != meta.expected_features:
            reason = "the current model uses other features than this product builds"
        elif sorted(meta.excluded_attributes) != sorted(s.excluded_attributes):
            reason = (f"the current model excludes {meta.excluded_attributes or 'no attribute'}, the settings "
                      f"exclude {list(s.excluded_attributes) or 'none'}")
    if reason:
        print(f"training needed: {reason}", file=sys.stderr)
        return 1
    print(f"model {load_artifact(a.model_dir).metadata.version} is up to date for {a.data_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
