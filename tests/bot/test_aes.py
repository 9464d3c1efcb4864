"""Our AES envelope against the official samples and against wechatpy's implementation."""

from __future__ import annotations

import base64

import pytest
from wechatpy.crypto import WeChatCrypto

from bot.aes import AppIdMismatch, EnvelopeError, WeChatAes
from bot.protocol import CallbackCodec, ProtocolError

# Official WXBizMsgCrypt demo (also in tests/wechat): key, appid and two ciphertexts of known plaintexts.
DEMO_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
DEMO_APPID = "wxb11529c136998cb6"
DEMO_CIPHER = "jn1L23DB+6ELqJ+6bruv21Y6MD7KeIfP82D6gU39rmkgczbWwt5+3bnyg5K55bgVtVzd832WzZGMhkP72vVOfg=="
DEMO_PLAIN = "我是中文abcd123"


def test_decrypts_the_official_demo_vector() -> None:
    assert WeChatAes(DEMO_KEY, DEMO_APPID).decrypt(DEMO_CIPHER).decode() == DEMO_PLAIN


def test_wechatpy_reads_what_we_write_and_we_read_what_it_writes() -> None:
    ours = WeChatAes(DEMO_KEY, DEMO_APPID)
    theirs = WeChatCrypto("token", DEMO_KEY, DEMO_APPID)
    xml = "<xml><Content><![CDATA[护照丢了怎么办]]></Content></xml>"
    sealed = theirs.encrypt_message(xml, "12345", "1700000000")
    encrypted = sealed.split("<Encrypt><![CDATA[")[1].split("]]>")[0]
    assert ours.decrypt(encrypted).decode() == xml
    codec = CallbackCodec("token", DEMO_APPID, DEMO_KEY)
    reply = codec.seal(xml, "aes", nonce="777")
    signature = reply.split("<MsgSignature><![CDATA[")[1].split("]]>")[0]
    timestamp = reply.split("<TimeStamp>")[1].split("</TimeStamp>")[0]
    assert theirs.decrypt_message(reply, signature, timestamp, "777") == xml


def test_each_encryption_differs_but_round_trips() -> None:
    aes = WeChatAes(DEMO_KEY, DEMO_APPID)
    first, second = aes.encrypt(b"same"), aes.encrypt(b"same")
    assert first != second
    assert aes.decrypt(first) == aes.decrypt(second) == b"same"


def test_another_accounts_envelope_is_named_as_such() -> None:
    sealed = WeChatAes(DEMO_KEY, "wx_other_account").encrypt(b"<xml/>")
    with pytest.raises(AppIdMismatch):
        WeChatAes(DEMO_KEY, DEMO_APPID).decrypt(sealed)


@pytest.mark.parametrize(
    "payload",
    [
        "",
        "not base64!!",
        base64.b64encode(b"short").decode(),
        base64.b64encode(b"x" * 33).decode(),
        base64.b64encode(bytes(64)).decode(),
    ],
)
def test_garbage_is_an_envelope_error_not_a_crash(payload: str) -> None:
    with pytest.raises(EnvelopeError):
        WeChatAes(DEMO_KEY, DEMO_APPID).decrypt(payload)


def test_codec_turns_envelope_errors_into_400() -> None:
    codec = CallbackCodec("token", DEMO_APPID, DEMO_KEY)
    from bot.protocol import sha1_signature

    encrypted = base64.b64encode(bytes(64)).decode()
    body = f"<xml><ToUserName>gh</ToUserName><Encrypt>{encrypted}</Encrypt></xml>".encode()
    with pytest.raises(ProtocolError) as error:
        codec.open(
            body,
            signature=sha1_signature("token", "1", "2"),
            timestamp="1",
            nonce="2",
            encrypt_type="aes",
            msg_signature=sha1_signature("token", "1", "2", encrypted),
        )
    assert error.value.status == 400
