"""The word files of model/text/data: a translator's mistake is caught on load, naming the file and
the entry, and the files describe exactly the columns, levels and features that exist."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from data.schema import APPLICATION_TABLES, TABLES
from model import features
from model.text import datafiles
from model.text.concepts import load_concepts
from model.text.datafiles import DATA_DIR, DataFileError
from model.text.label_grammar import AGGREGATIONS, HISTORY, table_key

LOADERS = {
    "strings.toml": datafiles.load_strings,
    "application.toml": datafiles.load_application,
    "engineered.toml": datafiles.load_engineered,
    "levels.toml": datafiles.load_levels,
    "values.toml": datafiles.load_values,
    "aggregations.toml": datafiles.load_aggregations,
    "history.toml": lambda path: datafiles.load_history(AGGREGATIONS.tables, path),
    "concepts.toml": load_concepts,
}


def _broken(tmp_path: Path, name: str, old: str, new: str) -> Path:
    """A copy of a real data file with one edit, as a translator might make it."""
    text = (DATA_DIR / name).read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {name}: update the test"
    path = tmp_path / name
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def _load_error(path: Path) -> DataFileError:
    with pytest.raises(DataFileError) as info:
        LOADERS[path.name](path)
    assert path.name in str(info.value)
    return info.value


@pytest.mark.parametrize("name", sorted(LOADERS))
def test_every_data_file_loads(name):
    assert LOADERS[name](DATA_DIR / name)


def test_every_data_file_is_known():
    assert {p.name for p in DATA_DIR.glob("*.toml")} == set(LOADERS)


@pytest.mark.parametrize("name,old,new,entry,message", [
    # unknown unit, group, transform, gender
    ("application.toml", 'unit = "currency"', 'unit = "euros"', "columns.AMT_INCOME_TOTAL", "unknown unit 'euros'"),
    ("application.toml", 'group = "identity"', 'group = "family"', "columns.SK_ID_CURR", "unknown group 'family'"),
    ("engineered.toml", 'unit = "ratio"', 'unit = "fraction"', "CREDIT_INCOME_RATIO", "unknown unit"),
    ("history.toml", 'transform = "days_to_years"', 'transform = "days_to_decades"', "columns.bureau.DAYS_CREDIT",
     "unknown transform"),
    ("history.toml", 'gender = "f"', 'gender = "x"', "columns.bureau.CREDIT_CURRENCY", "unknown gender 'x'"),
    ("aggregations.toml", 'group = "history_bureau"', 'group = "bureau"', "tables.bureau", "unknown group"),
    # a language missing
    ("strings.toml", 'en = "Why this decision?"\n', "", "explain.title", "no en text"),
    ("application.toml", 'fr = "Identifiant du client"\n', "", "columns.SK_ID_CURR", "no fr text"),
    ("levels.toml", '"Cash loans" = { fr = "Prêt personnel", en = "Cash loan" }',
     '"Cash loans" = { fr = "Prêt personnel" }', "columns.NAME_CONTRACT_TYPE.Cash loans", "no en text"),
    ("aggregations.toml", 'fr = { m = "moyen", f = "moyenne", mp = "moyens", fp = "moyennes" }',
     'fr = { m = "moyen", f = "moyenne", mp = "moyens" }', "aggregations.mean.fr", "missing fp"),
    ("values.toml", 'fr = "pas de date"\n', "", "no_date", "no fr text"),
    # empty or misspelt fields, wrong types, broken references
    ("strings.toml", 'fr = "Pourquoi cette décision ?"', 'fr = ""', "explain.title", "non-empty text"),
    ("application.toml", 'unit = "none"\ngroup = "identity"\ndecimals = 0',
     'unit = "none"\ngroup = "identity"\ndecimal = 0', "columns.SK_ID_CURR", "unknown field decimal"),
    ("application.toml", "decimals = 0", 'decimals = "0"', "columns.SK_ID_CURR", "whole number"),
    ("history.toml", 'context = "bureau_loans"', 'context = "bureau_loan"', "columns.bureau.CREDIT_ACTIVE",
     "unknown context 'bureau_loan'"),
    ("history.toml", '[columns.bureau]\nSK_ID_CURR = "client_id"', '[columns.bureau]\nSK_ID_CURR = "client"',
     "columns.bureau.SK_ID_CURR",
     "unknown shared phrase 'client'"),
    ("history.toml", "[columns.bureau]", "[columns.buro]", "columns", "unknown table 'buro'"),
    ("aggregations.toml", "active = { fr = \"crédits en cours déclarés",
     "ongoing = { fr = \"crédits en cours déclarés", "tables.bureau.subset_rows", "unknown subset 'ongoing'"),
    # placeholders a translator changed
    ("strings.toml", 'en = "Signed in as {user}"', 'en = "Signed in as {name}"', "auth.signed_in_as",
     "different placeholders"),
    ("application.toml", 'fr = "Pièce justificative n° {number} fournie"', 'fr = "Pièce justificative n° {numéro}"',
     "documents", "placeholders number"),
    ("values.toml", "[durations.months]", "[durations.weeks]", "durations", "missing months"),
])
def test_a_mistake_names_the_file_and_the_entry(tmp_path, name, old, new, entry, message):
    error = _load_error(_broken(tmp_path, name, old, new))
    assert error.entry == entry
    assert f"[{entry}]" in str(error)
    assert message in str(error)


def test_malformed_toml_names_the_file_and_the_line(tmp_path):
    error = _load_error(_broken(tmp_path, "levels.toml", 'F = { fr = "Femme", en = "Female" }',
                                'F = { fr = "Femme", en = "Female" '))
    assert "not valid TOML" in str(error)
    assert re.search(r"line \d+", str(error))


def test_the_error_shows_the_path_from_the_repository_root():
    with pytest.raises(DataFileError, match=r"^model/text/data/application\.toml \[columns\.X\]: "):
        datafiles._Entry(DATA_DIR / "application.toml", "columns.X", {}, ("unit",)).fail("boom")


# --------------------------------------------------------------------------------------
# The files describe what exists, no more and no less
# --------------------------------------------------------------------------------------
def test_application_file_describes_exactly_the_application_columns():
    columns = {c for t in APPLICATION_TABLES for c in TABLES[t].column_names}
    assert set(datafiles.load_application()) == columns


@pytest.mark.parametrize("table", [t for t in TABLES if t not in APPLICATION_TABLES])
def test_history_file_describes_exactly_each_table_columns(table):
    assert set(HISTORY.columns[table_key(table)]) == set(TABLES[table].column_names)


def test_history_tables_all_have_grammar_words():
    for table in (*HISTORY.columns, *HISTORY.derived):
        assert AGGREGATIONS.tables[table].rows is not None, table


def test_translated_levels_are_levels_of_the_schema():
    levels = datafiles.load_levels()
    problems = []
    for column, translated in levels.columns.items():
        tables = [tab for tab in TABLES.values() if column in tab]
        known = {str(level) for tab in tables for level in (tab.column(column).levels or ())}
        if not tables:
            problems.append(f"{column}: not a column of any table")
        problems += [f"{column}: {level!r} is not a level of the schema" for level in set(translated) - known]
    assert not problems, "\n".join(problems)


def test_overrides_are_features():
    assert set(datafiles.load_engineered()) <= set(features.feature_columns(include_children=True))
