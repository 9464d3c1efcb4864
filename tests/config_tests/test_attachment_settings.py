"""Settings for files on tickets: where they live, the S3 bucket's required names, and the request limit that
must leave room for an answer's image."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.settings import SettingsError, load_settings


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for name in list(os.environ):
        if name.startswith("QIAOBOT_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir("/tmp")  # no stray .env


def test_files_live_under_the_var_dir_by_default(tmp_path: Path) -> None:
    settings = load_settings(var_dir=tmp_path)
    assert settings.attachment_store == "local"
    assert settings.attachment_dir == tmp_path / "attachments"


def test_an_s3_store_names_everything_it_needs() -> None:
    with pytest.raises(SettingsError) as error:
        load_settings(attachment_store="s3", s3_bucket="qiaobot")
    message = str(error.value)
    assert "QIAOBOT_S3_ENDPOINT" in message and "QIAOBOT_S3_ACCESS_KEY" in message
    assert "QIAOBOT_S3_SECRET_KEY" in message and "QIAOBOT_S3_BUCKET" not in message
    ok = load_settings(
        attachment_store="s3", s3_endpoint="https://s3.example", s3_bucket="b", s3_access_key="a", s3_secret_key="s"
    )
    assert ok.s3_region == "us-east-1"


def test_the_request_limit_leaves_room_for_an_answers_image() -> None:
    with pytest.raises(SettingsError, match="QIAOBOT_MAX_REQUEST_BYTES"):
        load_settings(max_request_bytes=2 * 1024 * 1024)  # a 2 MB image would be refused before it is read
    assert load_settings(max_request_bytes=2 * 1024 * 1024, answer_image_max_bytes=1024 * 1024).max_request_bytes
    # The JSON API carries the image in base64 (4/3 of it): 2.5 MiB would hold the form's 2 MB, not the API's.
    with pytest.raises(SettingsError, match="in base64"):
        load_settings(max_request_bytes=5 * 512 * 1024)
    assert load_settings().max_request_bytes >= 4 * (2 * 1024 * 1024 + 2) // 3 + 256 * 1024
    with pytest.raises(SettingsError, match="ANSWER_IMAGE_MAX_BYTES"):
        load_settings(answer_image_max_bytes=3 * 1024 * 1024)  # above WeChat's own limit
