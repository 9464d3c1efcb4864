"""A voice as MP3 for the browser (ffmpeg), and the honest fallbacks without it."""

from __future__ import annotations

import pytest

from tickets import voice_playback
from tickets.voice_playback import amr_to_mp3

AMR_SECOND = b"#!AMR\n" + (b"\x3c" + bytes(range(7, 38))) * 50
needs_ffmpeg = pytest.mark.skipif(voice_playback.ffmpeg_path() is None, reason="ffmpeg is not installed")


@needs_ffmpeg
async def test_a_second_of_amr_becomes_a_short_mp3() -> None:
    mp3 = await amr_to_mp3(AMR_SECOND)
    assert mp3 is not None
    assert mp3[:3] == b"ID3" or mp3[:2] in (b"\xff\xfb", b"\xff\xf3")
    assert 1000 < len(mp3) < 20_000  # about a second at 32 kbit/s


@needs_ffmpeg
async def test_what_is_not_amr_or_does_not_decode_gets_no_copy() -> None:
    assert await amr_to_mp3(b"\xff\xd8\xff not a voice") is None
    assert await amr_to_mp3(b"#!AMR\n") is None  # a header and no audio
    assert await amr_to_mp3(b"#!AMR\n" + b"\xff" * 5) is None  # no decodable frame: ffmpeg fails


async def test_without_ffmpeg_there_is_no_copy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(voice_playback, "ffmpeg_path", lambda: None)
    assert await amr_to_mp3(AMR_SECOND) is None
