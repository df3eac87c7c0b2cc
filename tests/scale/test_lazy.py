"""Redis is optional: the core, the batch and the CLI import neither redis nor arq."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from idcode_async.scale.keys import PaceKeys, StoreKeys, check_run_id, token_id

TOKEN = "J7X4LuOOfURXeAAEAAAAAABSK"


def python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)


def test_importing_the_sdk_the_batch_the_cli_and_the_scale_package_imports_no_redis():
    done = python(
        "import sys, idcode_async, idcode_async.registration, idcode_async.scale\n"
        "import idcode_async.cli.app, idcode_async.cli._scale\n"
        "from click.testing import CliRunner\n"
        "assert CliRunner().invoke(idcode_async.cli.app.cli, ['worker', '--help']).exit_code == 0\n"
        "assert idcode_async.scale.MissingExtraError\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('redis', 'arq')))"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("blocked", "name"),
    [("redis", "RedisPacer"), ("redis", "RedisJournal"), ("arq", "enqueue_registration")],
)
def test_a_missing_extra_says_what_to_install(blocked, name):
    done = python(
        f"import sys; sys.modules[{blocked!r}] = None\n"
        "import idcode_async.scale as scale\n"
        "try:\n"
        f"    getattr(scale, {name!r})\n"
        "except scale.MissingExtraError as exc:\n"
        "    print(exc)\n"
    )
    assert done.returncode == 0, done.stderr
    assert f"need {blocked!r}" in done.stdout
    assert "idcode-async[redis]" in done.stdout


def test_register_units_with_redis_but_no_extra_is_a_usage_error(tmp_path):
    source = tmp_path / "units.csv"
    source.write_text(
        "login_name,organunit_name,code,province_id,city_id,area_id\n"
        "91110105MA00000001,某某公司,1,110000,110000,110105\n",
        encoding="utf-8",
    )
    done = python(
        "import sys; sys.modules['redis'] = None\n"
        "from idcode_async.cli import main\n"
        f"sys.exit(main(['register-units', {str(source)!r}, '--journal', 'r', '--redis',"
        " 'redis://127.0.0.1:1', '--access-token', 't', '--auth-code', 'a']))"
    )
    assert done.returncode == 2
    assert "idcode-async[redis]" in done.stderr


def test_the_token_is_named_by_a_domain_separated_hash():
    import hashlib

    assert token_id(TOKEN) == token_id(TOKEN)
    assert len(token_id(TOKEN)) == 32
    assert TOKEN not in token_id(TOKEN)
    assert token_id(TOKEN) != hashlib.sha256(TOKEN.encode()).hexdigest()[:32]
    assert token_id(TOKEN) != token_id(TOKEN + "x")
    keys = PaceKeys.for_token(TOKEN)
    assert keys.state == f"idcode:pace:{{{token_id(TOKEN)}}}"
    with pytest.raises(ValueError, match="access token is required"):
        token_id("")


@pytest.mark.parametrize("run_id", ["", "a b", "-x", "x" * 65, "a{b}", "a:b"])
def test_run_ids_are_plain_names(run_id):
    with pytest.raises(ValueError, match="run id must be"):
        check_run_id(run_id)


def test_a_long_run_id_is_not_quoted_whole():
    with pytest.raises(ValueError, match="run id must be") as info:
        check_run_id("x" * 3000)
    assert len(str(info.value)) < 200


def test_every_key_of_a_run_shares_one_hash_tag():
    keys = StoreKeys.for_run("run", "units-2024.05_a")
    assert {key.split("}")[0] for key in keys.script_keys} == {"idcode:run:{units-2024.05_a"}
    assert keys.item("ab").startswith("idcode:run:{units-2024.05_a}:item:")


def test_a_mistyped_key_name_fails_type_checking(tmp_path, monkeypatch):
    """Every key of a run is declared: ``keys.todos`` is a type error, not an empty key."""
    from mypy import api

    import idcode_async

    sample = tmp_path / "sample.py"
    sample.write_text(
        "from idcode_async.scale.keys import StoreKeys\n"
        "keys = StoreKeys.for_run('run', 'r')\n"
        "good: str = keys.todo\n"
        "bad = keys.todos\n"
    )
    monkeypatch.setenv("MYPYPATH", str(Path(idcode_async.__file__).parents[1]))
    options = ["--strict", "--no-incremental", "--follow-imports=silent"]
    options += ["--python-executable", sys.executable, "--cache-dir", str(tmp_path / "cache")]
    out, _, status = api.run([*options, str(sample)])
    assert status == 1, out
    assert '"StoreKeys" has no attribute "todos"' in out
    assert "sample.py:3" not in out
