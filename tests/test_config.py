"""Settings: read at app creation, safe defaults in development, refusals in production."""

import pytest

from config import ConfigError, load_config


def test_development_generates_one_secret_key(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = load_config({"INSTANCE_PATH": str(tmp_path)})
    second = load_config({"INSTANCE_PATH": str(tmp_path)})
    assert first["SECRET_KEY"] == second["SECRET_KEY"] and len(first["SECRET_KEY"]) >= 64
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_defaults_are_sqlite_and_safe_cookies(tmp_path, monkeypatch):
    for name in ("DATABASE_URL", "REDIS_URL", "PORTAL_ENV"):
        monkeypatch.delenv(name, raising=False)
    cfg = load_config({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "k" * 64})
    assert cfg["DATABASE_URL"] == f"sqlite:///{tmp_path / 'kundeportal.db'}"
    assert cfg["SESSION_COOKIE_HTTPONLY"] and cfg["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert not cfg["SESSION_COOKIE_SECURE"]
    assert cfg["RATELIMIT_STORAGE_URI"] == "memory://"


def test_environment_is_read_when_called(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://u@h/db")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/3")
    cfg = load_config({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "k" * 64})
    assert cfg["DATABASE_URL"] == "postgresql+psycopg://u@h/db"
    assert cfg["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/3"


@pytest.mark.parametrize("env,message", [
    ({"PUBLIC_BASE_URL": "https://kundeportal.example.dk"}, "SECRET_KEY"),
    ({"SECRET_KEY": "k" * 64}, "PUBLIC_BASE_URL"),
])
def test_production_refuses_without_required_settings(tmp_path, monkeypatch, env, message):
    for name in ("SECRET_KEY", "PUBLIC_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("PORTAL_ENV", "production")
    with pytest.raises(ConfigError, match=message):
        load_config({"INSTANCE_PATH": str(tmp_path)})


def test_production_with_settings_has_secure_cookies(tmp_path, monkeypatch):
    monkeypatch.setenv("SEALING_DISABLED", "1")
    monkeypatch.setenv("PORTAL_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "k" * 64)
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://kundeportal.example.dk")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/3")
    cfg = load_config({"INSTANCE_PATH": str(tmp_path)})
    assert cfg["SESSION_COOKIE_SECURE"]
    assert not (tmp_path / "secret_key").exists()


def test_production_refuses_per_process_limits_unless_one_worker(tmp_path, monkeypatch):
    for name, value in (("PORTAL_ENV", "production"), ("SECRET_KEY", "k" * 64),
                        ("PUBLIC_BASE_URL", "https://kundeportal.example.dk")):
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.delenv("SINGLE_WORKER", raising=False)
    monkeypatch.setenv("SEALING_DISABLED", "1")
    with pytest.raises(ConfigError, match="REDIS_URL skal være sat i produktion"):
        load_config({"INSTANCE_PATH": str(tmp_path)})
    monkeypatch.setenv("SINGLE_WORKER", "1")
    cfg = load_config({"INSTANCE_PATH": str(tmp_path)})
    assert cfg["SINGLE_WORKER"] and cfg["RATELIMIT_STORAGE_URI"] == "memory://"
    monkeypatch.delenv("SINGLE_WORKER")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/3")
    assert load_config({"INSTANCE_PATH": str(tmp_path)})["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/3"


def test_callback_body_limit_is_about_one_megabyte_and_configurable(tmp_path, monkeypatch):
    monkeypatch.delenv("CALLBACK_MAX_BYTES", raising=False)
    assert load_config({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "k" * 64})["CALLBACK_MAX_BYTES"] == 1024 * 1024
    monkeypatch.setenv("CALLBACK_MAX_BYTES", "200000")
    assert load_config({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "k" * 64})["CALLBACK_MAX_BYTES"] == 200000


def test_init_db_migrates_and_loads_the_role_catalogue(app_config):
    from sqlalchemy import func, select

    from app import create_app
    from data.db import get_session
    from data.models import ContactRole

    flask_app = create_app(app_config)
    runner = flask_app.test_cli_runner()
    for _ in range(2):  # idempotent
        result = runner.invoke(args=["init-db"])
        assert result.exit_code == 0, result.output
    with flask_app.app_context():
        assert get_session().scalar(select(func.count()).select_from(ContactRole)) == 15


# --- SA's sealing certificate ------------------------------------------------------------------------


@pytest.fixture
def production_env(tmp_path, monkeypatch):
    """Every production setting but the sealing certificate."""
    for name, value in (("PORTAL_ENV", "production"), ("SECRET_KEY", "k" * 64),
                        ("PUBLIC_BASE_URL", "https://kundeportal.example.dk"), ("REDIS_URL", "redis://127.0.0.1:6379/3")):
        monkeypatch.setenv(name, value)
    for name in ("SIGNING_P12_PATH", "SIGNING_P12_PASSWORD", "SEALING_DISABLED"):
        monkeypatch.delenv(name, raising=False)
    return {"INSTANCE_PATH": str(tmp_path / "instance")}


def test_production_refuses_to_start_without_a_sealing_certificate(production_env, tmp_path):
    with pytest.raises(ConfigError) as refused:
        load_config(production_env)
    message = str(refused.value)
    assert "SIGNING_P12_PATH skal være sat i produktion" in message
    assert "SIGNING_P12_PASSWORD" in message and "SEALING_DISABLED=1" in message
    # Nothing was made in its place: no development certificate in production.
    assert not (tmp_path / "instance" / "signing-dev.p12").exists()


def test_production_starts_with_the_certificate_and_its_passphrase(production_env, tmp_path, monkeypatch):
    from tests._certs import make_p12

    p12 = make_p12(tmp_path / "segl.p12", "hemmelig-frase")
    monkeypatch.setenv("SIGNING_P12_PATH", str(p12))
    monkeypatch.setenv("SIGNING_P12_PASSWORD", "hemmelig-frase")
    cfg = load_config(production_env)
    assert cfg["SIGNING_P12_PATH"] == str(p12) and not cfg["SEALING_DISABLED"]


@pytest.mark.parametrize("case,message", [
    ("missing", "kan ikke læses"),
    ("wrong_passphrase", "forkert SIGNING_P12_PASSWORD"),
    ("no_passphrase", "forkert SIGNING_P12_PASSWORD"),
    ("not_p12", "ikke en PKCS#12-fil"),
    ("expired", "er udløbet"),
])
def test_production_refuses_an_unusable_certificate(production_env, tmp_path, monkeypatch, case, message):
    from tests._certs import make_p12

    path = tmp_path / "segl.p12"
    if case == "not_p12":
        path.write_bytes(b"%PDF-1.4 ikke et certifikat")
    elif case != "missing":
        make_p12(path, "hemmelig-frase", days=-1 if case == "expired" else 365)
    monkeypatch.setenv("SIGNING_P12_PATH", str(path))
    passphrase = {"wrong_passphrase": "forkert", "no_passphrase": ""}.get(case, "hemmelig-frase")
    monkeypatch.setenv("SIGNING_P12_PASSWORD", passphrase)
    with pytest.raises(ConfigError, match=message):
        load_config(production_env)


def test_production_runs_without_sealing_only_when_told_so(production_env, tmp_path, monkeypatch):
    from tests._certs import make_p12

    monkeypatch.setenv("SEALING_DISABLED", "1")
    assert load_config(production_env)["SEALING_DISABLED"] is True
    # Both at once is a contradiction, refused rather than guessed.
    monkeypatch.setenv("SIGNING_P12_PATH", str(make_p12(tmp_path / "segl.p12", None)))
    with pytest.raises(ConfigError, match="vælg enten"):
        load_config(production_env)
    monkeypatch.setenv("SEALING_DISABLED", "0")
    assert load_config(production_env)["SIGNING_P12_PATH"]


def test_development_needs_no_certificate_setting(tmp_path, monkeypatch):
    for name in ("SIGNING_P12_PATH", "SIGNING_P12_PASSWORD", "SEALING_DISABLED", "PORTAL_ENV"):
        monkeypatch.delenv(name, raising=False)
    cfg = load_config({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "k" * 64})
    assert cfg["SIGNING_P12_PATH"] == "" and not cfg["SEALING_DISABLED"]
