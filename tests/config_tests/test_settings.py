"""Settings: safe embedded defaults, loud errors that name the setting, production refuses placeholders."""

from __future__ import annotations

import pytest

from config.settings import SettingsError, load_settings


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for name in list(os.environ):
        if name.startswith("QIAOBOT_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir("/tmp")  # no stray .env


def test_embedded_defaults_need_nothing() -> None:
    settings = load_settings()
    assert settings.env == "embedded"
    assert settings.database_url.startswith("sqlite:///")
    assert settings.uses_embedded_redis and settings.uses_fake_wechat
    assert not settings.aes_enabled


def test_production_refuses_to_start_without_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QIAOBOT_ENV", "production")
    monkeypatch.setenv("QIAOBOT_WECHAT_TOKEN", "t")
    with pytest.raises(SettingsError) as error:
        load_settings()
    message = str(error.value)
    assert "QIAOBOT_WECHAT_SECRET" in message and "QIAOBOT_DATABASE_URL" in message
    assert "QIAOBOT_WECHAT_TOKEN" not in message.split("needs", 1)[1]


PRODUCTION = {
    "ENV": "production",
    "WECHAT_TOKEN": "Tk7qLw2xPz9mNc4v",
    "WECHAT_APPID": "wx1",
    "WECHAT_SECRET": "3f9a1c7e5b2d8f4a6c0e9b1d7a3f5c2e",
    "DATABASE_URL": "postgresql://u@db/q",
    "REDIS_URL": "redis://r:6379/0",
    "SECRET_KEY": "Vq8-Zk3rT1yW6uN0pL4sH7jD2fG9bX5c",
    "WECHAT_AES_KEY": "Q3n8Zr2Kx7WmT5pLc9Vb1Yh4Dg6Js0Af2Nq8Ue3Ro5I",
}


def test_production_with_everything_uses_the_real_api(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in PRODUCTION.items():
        monkeypatch.setenv(f"QIAOBOT_{name}", value)
    settings = load_settings()
    assert settings.wechat_api_base == "https://api.weixin.qq.com"
    assert settings.database_url == "postgresql+psycopg://u@db/q"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("WECHAT_TOKEN", "qiaobot-dev-token"),  # the embedded default
        ("WECHAT_TOKEN", "qiaobot-test-token"),
        ("WECHAT_TOKEN", "spamtest"),  # WeChat's sample token
        ("WECHAT_TOKEN", "short-token"),
        ("WECHAT_SECRET", "qiaobot-dev-secret"),
        ("WECHAT_SECRET", "fake-app-secret-0000000000000001"),
        ("WECHAT_SECRET", "0" * 32),
        ("SECRET_KEY", "qiaobot-embedded-not-secret"),
        ("SECRET_KEY", "k"),
        ("SECRET_KEY", "ab" * 20),
        ("WECHAT_AES_KEY", "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR"),  # the tests' key
        ("WECHAT_AES_KEY", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"),  # WeChat's sample key
        ("WECHAT_AES_KEY", "A" * 42 + "E"),
    ],
)
def test_production_refuses_shipped_placeholders_and_weak_secrets(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    for key, good in PRODUCTION.items():
        monkeypatch.setenv(f"QIAOBOT_{key}", value if key == name else good)
    with pytest.raises(SettingsError) as error:
        load_settings()
    assert f"QIAOBOT_{name}" in str(error.value)


def test_production_without_an_aes_key_is_plaintext_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, good in PRODUCTION.items():
        monkeypatch.setenv(f"QIAOBOT_{key}", "" if key == "WECHAT_AES_KEY" else good)
    assert not load_settings().aes_enabled


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("QIAOBOT_WECHAT_AES_KEY", "too-short"),
        ("QIAOBOT_WECHAT_AES_KEY", "!" * 43),
        ("QIAOBOT_TIMEZONE", "Mars/Olympus"),
        ("QIAOBOT_DATABASE_URL", "mysql://x"),
        ("QIAOBOT_REDIS_URL", "http://x"),
        ("QIAOBOT_PASSIVE_REPLY_BUDGET_SECONDS", "6"),
        ("QIAOBOT_REDIS_TIMEOUT_SECONDS", "0"),
        ("QIAOBOT_REDIS_TIMEOUT_SECONDS", "4"),  # not below the passive-reply budget (4 s)
        ("QIAOBOT_DATABASE_CONNECT_TIMEOUT_SECONDS", "0"),
        ("QIAOBOT_DATABASE_CONNECT_TIMEOUT_SECONDS", "4"),  # not below the passive-reply budget (4 s)
        ("QIAOBOT_CLOSE_OF_BUSINESS", "25:99"),
    ],
)
def test_bad_values_name_the_setting(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as error:
        load_settings()
    assert name in str(error.value)


def test_the_database_connect_timeout_may_be_a_fraction_below_the_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    """It bounds the whole connect itself, so it is not held to libpq's whole seconds (at least 2)."""
    monkeypatch.setenv("QIAOBOT_DATABASE_CONNECT_TIMEOUT_SECONDS", "1.5")
    assert load_settings().database_connect_timeout_seconds == 1.5
    monkeypatch.setenv("QIAOBOT_DATABASE_CONNECT_TIMEOUT_SECONDS", "3.9")
    assert load_settings().database_connect_timeout_seconds == 3.9


def test_valid_aes_key_enables_encrypted_modes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QIAOBOT_WECHAT_AES_KEY", "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR")
    assert load_settings().aes_enabled
