"""Documents about the model for people who must trust it: the methodology note
(``python -m model.reporting``), computed from the artifact and its tracking run.

One home per step, so that a figure is computed once and a sentence is written once:
:mod:`~model.reporting.facts` reads the sources and computes every number (the validation section's in
:mod:`~model.reporting.validation_facts`, the paired comparison with the reference, read from
``benchmarks/yardstick.py --json``, in :mod:`~model.reporting.comparison_facts`),
:mod:`~model.reporting.figures` draws the PNGs, :mod:`~model.reporting.render` words the
facts through the Jinja2 templates of ``templates/`` (French body, English summary), and
:mod:`~model.reporting.methodology` runs the three and writes the files atomically.
"""
