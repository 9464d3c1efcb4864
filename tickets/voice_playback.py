"""A WeChat voice as something a browser plays: AMR-NB (what ``media/get`` returns for a voice message, 8 kHz)
converted to MP3 with ffmpeg, when ffmpeg is installed (Debian's ``ffmpeg`` decodes AMR-NB natively and encodes
MP3 with libmp3lame). Without ffmpeg, or when it fails, there is no playable copy and the ticket page offers the
original for download with WeChat's speech recognition text, as before.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil

log = logging.getLogger(__name__)

PLAYABLE_TYPE = "audio/mpeg"
AMR_HEADER = b"#!AMR\n"  # RFC 4867 section 5: the single-channel AMR file's magic number
CONVERT_TIMEOUT_SECONDS = 30.0
# A voice message lasts at most 60 s; at 32 kbit/s that is about 240 KB, so this bounds a runaway process.
MAX_OUTPUT_BYTES = 4 * 1024 * 1024
COMMAND = (
    "-nostdin", "-hide_banner", "-loglevel", "error",
    "-f", "amr", "-i", "pipe:0",
    "-vn", "-ac", "1", "-codec:a", "libmp3lame", "-b:a", "32k", "-f", "mp3", "pipe:1",
)  # fmt: skip


def ffmpeg_path() -> str | None:
    return shutil.which("ffmpeg")


async def amr_to_mp3(amr: bytes, ffmpeg: str | None = None) -> bytes | None:
    """The voice as MP3, or None (no ffmpeg, not AMR, or ffmpeg failed or took too long)."""
    binary = ffmpeg or ffmpeg_path()
    if binary is None or not amr.startswith(AMR_HEADER) or len(amr) == len(AMR_HEADER):
        return None
    process = await asyncio.create_subprocess_exec(
        binary,
        *COMMAND,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with asyncio.timeout(CONVERT_TIMEOUT_SECONDS):
            out, err = await process.communicate(amr)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()
        log.warning("ffmpeg took longer than %ss converting a voice; offering the AMR only", CONVERT_TIMEOUT_SECONDS)
        return None
    if process.returncode != 0 or not out or len(out) > MAX_OUTPUT_BYTES:
        log.warning("ffmpeg could not convert a voice (exit %s): %s", process.returncode, err[:300])
        return None
    return out
