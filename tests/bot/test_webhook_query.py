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
]


def test_the_same_values_as_starlettes_query_params() -> None:
    for raw in QUERIES:
        request = Request({"type": "http", "query_string": raw, "headers": []})
        ours, theirs = query_of(request), QueryParams(raw)
        assert set(ours) == set(theirs.keys())
        for name in ("signature", "timestamp", "nonce", "echostr", "encrypt_type", "msg_signature", "x"):
            assert ours.get(name) == theirs.get(name), (raw, name)
