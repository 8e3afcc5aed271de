"""Settings from TONEGATE_* variables and a TOML file; bad values name the setting."""

from __future__ import annotations

import pytest

from gateway.errors import SettingsError
from gateway.settings import load_settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    import os

    for name in list(os.environ):
        if name.startswith("TONEGATE_"):
            monkeypatch.delenv(name)


def test_defaults_use_embedded_redis_and_apertium():
    s = load_settings()
    assert s.redis_url is None
    assert s.engines is None and s.engines_file.name == "engines.toml" and s.engines_file.is_file()
    assert (s.host, s.port) == ("127.0.0.1", 8000)


def test_environment_variables(monkeypatch, tmp_path):
    engines = tmp_path / "engines.toml"
    engines.write_text('[[engine]]\nname = "a"\nkind = "apertium"\n')
    monkeypatch.setenv("TONEGATE_REDIS_URL", "redis://127.0.0.1:6399/2")
    monkeypatch.setenv("TONEGATE_DATA_DIR", str(tmp_path / "d"))
    monkeypatch.setenv("TONEGATE_ENGINES", str(engines))
    monkeypatch.setenv("TONEGATE_ADMIN_KEY", "k" * 32)
    monkeypatch.setenv("TONEGATE_LANGUAGES", '["en", "de"]')
    s = load_settings()
    assert s.redis_url == "redis://127.0.0.1:6399/2"
    assert s.data_dir == tmp_path / "d"
    assert s.engines_file == engines
    assert s.admin_key.get_secret_value() == "k" * 32
    assert s.languages == ("en", "de")


def test_toml_file_with_environment_overriding_it(monkeypatch, tmp_path):
    config = tmp_path / "tonegate.toml"
    config.write_text('port = 9001\nredis_url = "redis://10.0.0.1:6379/0"\nmax_text_chars = 500\n')
    monkeypatch.setenv("TONEGATE_CONFIG", str(config))
    monkeypatch.setenv("TONEGATE_PORT", "9002")
    s = load_settings()
    assert s.port == 9002
    assert s.redis_url == "redis://10.0.0.1:6379/0"
    assert s.max_text_chars == 500


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("TONEGATE_PORT", "eighty", "TONEGATE_PORT: Input should be a valid integer"),
        ("TONEGATE_PORT", "70000", "TONEGATE_PORT: Input should be less than or equal to 65535"),
        ("TONEGATE_REDIS_URL", "localhost:6379", "TONEGATE_REDIS_URL: must start with redis://"),
        ("TONEGATE_ADMIN_KEY", "changeme", "TONEGATE_ADMIN_KEY: must be at least 24 random characters"),
        ("TONEGATE_ENGINES", "/nope/engines.toml", "TONEGATE_ENGINES: file /nope/engines.toml does not exist"),
        ("TONEGATE_DETECTOR", "cld3", "TONEGATE_DETECTOR: Input should be 'lingua' or 'langdetect'"),
    ],
)
def test_bad_settings_name_the_setting(monkeypatch, name, value, message):
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as exc:
        load_settings()
    assert message in exc.value.message


def test_unknown_key_in_toml_file_is_refused(monkeypatch, tmp_path):
    config = tmp_path / "tonegate.toml"
    config.write_text("prot = 9001\n")
    monkeypatch.setenv("TONEGATE_CONFIG", str(config))
    with pytest.raises(SettingsError, match="TONEGATE_PROT: unknown setting"):
        load_settings()


def test_missing_config_file_is_named(monkeypatch):
    monkeypatch.setenv("TONEGATE_CONFIG", "/nope/tonegate.toml")
    with pytest.raises(SettingsError, match=r"TONEGATE_CONFIG: file /nope/tonegate\.toml does not exist"):
        load_settings()


def test_data_dir_is_the_users_data_folder_whatever_the_current_folder(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert load_settings().data_dir == tmp_path / "xdg" / "tonegate"
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert load_settings().data_dir == tmp_path / "home" / ".local" / "share" / "tonegate"
    # A relative folder is taken from where the command starts, and kept absolute from then on.
    monkeypatch.setenv("TONEGATE_DATA_DIR", "gw")
    assert load_settings().data_dir == tmp_path / "gw"
