"""The product's words: UI strings (FR/EN), the feature dictionary, number and date formats,
and the sentences that explain a score. No translated string lives outside this package; the
words themselves are data files in ``data/`` (TOML, read by :mod:`model.text.datafiles`)."""
