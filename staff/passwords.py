"""Staff passwords, hashed with argon2id (argon2-cffi's defaults follow RFC 9106's recommendations).

The hasher is shared so every hash uses the same parameters; ``needs_rehash`` lets a login upgrade an old
hash transparently when the parameters are raised later.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_PASSWORD_LENGTH = 10

_hasher = PasswordHasher()
# Verified against when a username does not exist, so a wrong name costs as long as a wrong password and
# response times do not tell which accounts exist.
_DUMMY_HASH = _hasher.hash("qiaobot-no-such-user")


class WeakPasswordError(ValueError):
    """The password is too short or trivial; the message is shown to the person choosing it."""


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPasswordError(f"密码至少需要 {MIN_PASSWORD_LENGTH} 个字符")
    if len(set(password)) < 4:
        raise WeakPasswordError("密码过于简单，请混合使用不同的字符")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when ``password`` matches; a malformed stored hash counts as a mismatch, never as an error."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def verify_against_nothing(password: str) -> None:
    """Spend the time of one verification (for unknown usernames)."""
    verify_password(_DUMMY_HASH, password)


def needs_rehash(password_hash: str) -> bool:
    try:
        return _hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True
