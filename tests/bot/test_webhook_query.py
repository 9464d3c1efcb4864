"""The callback's query parameters are read as Starlette's ``query_params.get`` reads them."""

from __future__ import annotations

from starlette.datastructures import QueryParams
from starlette.requests import Request

from bot.webhook import query_of

QUERIES = [
    b"signature=abc&timestamp=1733100000&nonce=123&openid=o1&encrypt_type=aes&msg_signature=def",
    b"signature=a&signature=b&nonce=",  # repeated: the last wins; blank kept
    b"nonce=%E4%BE%A8+1&echostr=a%2Bb%3D%3D&x",  # percent and plus decoding; a bare name
    b"timestamp=\xe4\xbe\xa8",  # raw non-ASCII bytes: latin-1, as Starlette decodes the scope
    b"",
    b"&&signature=a&&nonce&timestamp=1=2&=v&",  # empty fields, a bare name, "=" in a value, an empty name
    b"echostr=a=b&openid=o-_.~9",
]


def test_the_same_values_as_starlettes_query_params() -> None:
    for raw in QUERIES:
        request = Request({"type": "http", "query_string": raw, "headers": []})
        ours, theirs = query_of(request), QueryParams(raw)
        assert set(ours) == set(theirs.keys())
        for name in ("signature", "timestamp", "nonce", "echostr", "encrypt_type", "msg_signature", "x"):
            assert ours.get(name) == theirs.get(name), (raw, name)


def test_exactly_what_parse_qsl_reads() -> None:
    """With or without anything to decode, the same pairs as ``parse_qsl(..., keep_blank_values=True)``."""
    from urllib.parse import parse_qsl

    extra = [b"a=1&b&&c=&=d&e=f=g", b"a=%41&b=+", b"x=1&x=2&x", b"=&=", b"&", b"a"]
    for raw in QUERIES + extra:
        request = Request({"type": "http", "query_string": raw, "headers": []})
        assert query_of(request) == dict(parse_qsl(raw.decode("latin-1"), keep_blank_values=True)), raw
