"""Documents about the model for people who must trust it: the methodology note
(``python -m model.reporting``), computed from the artifact and its tracking run."""
