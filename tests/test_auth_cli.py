"""``python -m auth`` (auth.main): how a manager's account is made (``add-user NAME``, the password
typed at a hidden prompt), the local demo account and API key that ``make run`` prints (``demo``), and
the usage line for anything else (issue 29).

Settings come from the environment, as for the command: ``INSTANCE_DIR`` is a temporary folder, and
``USERS_FILE`` / ``API_KEYS`` are unset so that the files land in it. What the command wrote is checked
by another route: werkzeug's own hash check, and a sign-in and an API call on a server built on the files.
"""
from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from werkzeug.security import check_password_hash

import auth
from settings import Settings
from tests.conftest import ROOT
from tests.helpers import post_login

USAGE = "usage: python -m auth add-user NAME | python -m auth demo\n"


@pytest.fixture
def instance(tmp_path, monkeypatch) -> Path:
    for name in ("USERS_FILE", "API_KEYS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("INSTANCE_DIR", str(tmp_path))
    return tmp_path


class Keyboard:
    """The hidden prompt (``getpass.getpass``): answers with the passwords appended, in turn; records its prompts."""

    def __init__(self) -> None:
        self.answers: list[str] = []
        self.prompts: list[str] = []

    def append(self, password: str) -> None:
        self.answers.append(password)

    def getpass(self, prompt: str = "Password: ", stream: object = None) -> str:
        self.prompts.append(prompt)
        if not self.answers:
            raise AssertionError(f"an unexpected password prompt: {prompt!r}")
        return self.answers.pop(0)


@pytest.fixture
def typed(monkeypatch) -> Keyboard:
    keyboard = Keyboard()
    monkeypatch.setattr("getpass.getpass", keyboard.getpass)
    return keyboard


def _users(instance: Path) -> dict[str, str]:
    users: dict[str, str] = json.loads((instance / "users.json").read_text(encoding="utf-8"))
    return users


def _private(path: Path) -> bool:
    return stat.S_IMODE(path.stat().st_mode) == 0o600


def test_add_user_stores_a_hash_of_the_typed_password(instance, typed, capsys):
    typed.append("correct horse 42")
    assert auth.main(["add-user", "bob"]) == 0
    assert capsys.readouterr().out == f"user bob stored in {instance / 'users.json'}\n"
    assert typed.prompts == ["password: "]
    text = (instance / "users.json").read_text(encoding="utf-8")
    assert "correct horse 42" not in text and _private(instance / "users.json")
    users = _users(instance)
    assert set(users) == {"bob"}
    assert check_password_hash(users["bob"], "correct horse 42")
    assert not check_password_hash(users["bob"], "correct horse 43")

    typed.append("another one 7")                       # a second manager: the first one stays
    assert auth.main(["add-user", "carol"]) == 0
    assert _users(instance)["bob"] == users["bob"] and check_password_hash(_users(instance)["carol"], "another one 7")
    typed.append("a new password")                      # the same name again: a new password
    assert auth.main(["add-user", "bob"]) == 0
    assert check_password_hash(_users(instance)["bob"], "a new password")
    assert not check_password_hash(_users(instance)["bob"], "correct horse 42")


@pytest.mark.parametrize("name, password", [("dave", "short"), ("dave", ""), ("da\nve", "long enough 1")])
def test_add_user_refuses_a_short_password_or_an_unprintable_name(instance, typed, capsys, name, password):
    typed.append(password)
    assert auth.main(["add-user", name]) == 2
    out = capsys.readouterr()
    assert out.out == ""
    assert out.err == "error: a user needs a printable name and a password of at least 8 characters\n"
    assert not (instance / "users.json").exists()


@pytest.mark.parametrize("args", [[], ["add-user"], ["add-user", "a", "b"], ["remove-user", "a"], ["demo", "x"],
                                  ["--help"]])
def test_anything_else_prints_the_usage_and_changes_nothing(instance, typed, capsys, args):
    assert auth.main(args) == 2
    out = capsys.readouterr()
    assert out.err == USAGE and out.out == ""
    assert typed.prompts == [] and list(instance.iterdir()) == []


def test_demo_makes_an_account_and_a_key_once_that_sign_in_and_open_the_api(instance, capsys, tiny_model_dir,
                                                                             tiny_scorer):
    from tests.test_api import build_server

    assert auth.main(["demo"]) == 0
    lines = capsys.readouterr().out.splitlines()
    made = re.fullmatch(r"Demo account created: user 'demo', password '(\S+)' \(also in (.+)\)", lines[0])
    assert made and made.group(2) == str(instance / "demo_credentials.txt"), lines
    password = made.group(1)
    assert lines[1:] == [f"Demo API key created in {instance / 'api_keys.txt'}"]
    assert (instance / "demo_credentials.txt").read_text(encoding="utf-8") == f"demo\n{password}\n"
    keys = (instance / "api_keys.txt").read_text(encoding="utf-8").split()
    assert len(keys) == 1 and len(keys[0]) >= 24
    for name in ("users.json", "demo_credentials.txt", "api_keys.txt"):
        assert _private(instance / name), name
    assert set(_users(instance)) == {"demo"}

    # the printed password signs in, the key opens the JSON routes, on a server reading these files
    server = build_server(Settings(instance_dir=instance, users_file=instance / "users.json",
                                   model_dir=tiny_model_dir, secret_key="d" * 32), tiny_scorer)
    web = server.test_client()
    assert post_login(web, "demo", password).status_code == 302
    assert post_login(server.test_client(), "demo", password + "x").status_code != 302
    assert web.get("/api/v1/model", headers={auth.API_KEY_HEADER: keys[0]}).status_code == 200

    # a second run (every `make run`) keeps the account and the key, and says where the password is
    before = {p.name: p.read_bytes() for p in instance.iterdir() if p.is_file()}
    assert auth.main(["demo"]) == 0
    assert capsys.readouterr().out == (f"Sign in with an account of {instance / 'users.json'} "
                                       f"(demo credentials in {instance / 'demo_credentials.txt'})\n")
    assert {name: (instance / name).read_bytes() for name in before} == before


def test_demo_leaves_the_managers_accounts_alone(instance, typed, capsys):
    typed.append("alice's password")
    assert auth.main(["add-user", "alice"]) == 0
    users = _users(instance)
    capsys.readouterr()
    assert auth.main(["demo"]) == 0
    assert capsys.readouterr().out == (f"Sign in with an account of {instance / 'users.json'}\n"
                                       f"Demo API key created in {instance / 'api_keys.txt'}\n")
    assert _users(instance) == users and not (instance / "demo_credentials.txt").exists()


def test_demo_with_a_broken_users_file_is_one_line_and_exit_2(instance, capsys):
    (instance / "users.json").write_text("{", encoding="utf-8")
    assert auth.main(["demo"]) == 2
    out = capsys.readouterr()
    assert out.out == "" and out.err.startswith(f"error: {instance / 'users.json'}: unreadable users file")
    assert len(out.err.splitlines()) == 1


def test_python_dash_m_auth_is_the_command(tmp_path):
    """The module runs as a command, as ``make serve`` runs it: its exit status and its files."""
    env = {k: v for k, v in os.environ.items() if k not in ("USERS_FILE", "API_KEYS")}
    env["INSTANCE_DIR"] = str(tmp_path)
    run = subprocess.run([sys.executable, "-m", "auth", "demo"], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("Demo account created: user 'demo'")
    assert {p.name for p in tmp_path.iterdir()} == {"users.json", "demo_credentials.txt", "api_keys.txt"}
    usage = subprocess.run([sys.executable, "-m", "auth", "remove-user", "demo"], cwd=ROOT, env=env,
                           capture_output=True, text=True, timeout=120)
    assert (usage.returncode, usage.stderr, usage.stdout) == (2, USAGE, "")
