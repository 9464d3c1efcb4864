"""Inbound builders and signing reproduce WeChat's published vectors and what wechatpy accepts."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidSignatureException
from wechatpy.replies import TextReply
from wechatpy.utils import check_signature

from wechat import inbound
from wechat.inbound import (
    ReplyVerificationError,
    decode_reply,
    decrypt_payload,
    encrypt_payload,
    msg_signature,
    parse_xml,
    sign_get,
    sign_post,
    url_signature,
)

# Plain URL signature vector from wechatpy tests/test_utils.py (test_check_signature_should_ok).
PLAIN_TOKEN, PLAIN_TS, PLAIN_NONCE = "test", "1410685589", "test"
PLAIN_SIGNATURE = "f21891de399b4e33a1a93c9a7b8a8fffb5a443ff"

# Official WXBizMsgCrypt demo (Java WXBizMsgCryptTest): fixed random prefix → fixed ciphertext.
DEMO_AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
DEMO_APPID = "wxb11529c136998cb6"
DEMO_RANDOM = "aaaabbbbccccdddd"
DEMO_PLAIN = "我是中文abcd123"
DEMO_CIPHER = "jn1L23DB+6ELqJ+6bruv21Y6MD7KeIfP82D6gU39rmkgczbWwt5+3bnyg5K55bgVtVzd832WzZGMhkP72vVOfg=="
DEMO_PLAIN_2 = (
    "<xml><ToUserName><![CDATA[oia2Tj我是中文jewbmiOUlr6X-1crbLOvLw]]></ToUserName><FromUserName><![CDATA"
    "[gh_7f083739789a]]></FromUserName><CreateTime>1407743423</CreateTime><MsgType><![CDATA[video]]></MsgType>"
    "<Video><MediaId><![CDATA[eYJ1MbwPRJtOvIEabaxHs7TX2D-HV71s79GUxqdUkjm6Gs2Ed1KF3ulAOA9H1xG0]]></MediaId>"
    "<Title><![CDATA[testCallBackReplyVideo]]></Title><Description><![CDATA[testCallBackReplyVideo]]>"
    "</Description></Video></xml>"
)
DEMO_CIPHER_2 = (
    "jn1L23DB+6ELqJ+6bruv23M2GmYfkv0xBh2h+XTBOKVKcgDFHle6gqcZ1cZrk3e1qjPQ1F4RsLWzQRG9udbKWesxlkupqcEcW7ZQ"
    "weImX9+wLMa0GaUzpkycA8+IamDBxn5loLgZpnS7fVAbExOkK5DYHBmv5tptA9tklE/fTIILHR8HLXa5nQvFb3tYPKAlHF3rtTeayN"
    "f0QuM+UW/wM9enGIDIJHF7CLHiDNAYxr+r+OrJCmPQyTy8cVWlu9iSvOHPT/77bZqJucQHQ04sq7KZI27OcqpQNSto2OdHCoTccjgg"
    "X5Z9Mma0nMJBU+jLKJ38YB1fBIz+vBzsYjrTmFQ44YfeEuZ+xRTQwr92vhA9OxchWVINGC50qE/6lmkwWTwGX9wtQpsJKhP+oS7rvT"
    "Y8+VdzETdfakjkwQ5/Xka042OlUb1/slTwo4RscuQ+RdxSGvDahxAJ6+EAjLt9d8igHngxIbf6YyqqROxuxqIeIch3CssH/LqRs+iA"
    "cILvApYZckqmA7FNERspKA5f8GoJ9sv8xmGvZ9Yrf57cExWtnX8aCMMaBropU/1k+hKP5LVdzbWCG0hGwx/dQudYR/eXp3P0XxjlFiy"
    "+9DMlaFExWUZQDajPkdPrEeOwofJb"
)

# Official Python/PHP sample for the compat-mode request (token "spamtest"): the request POSTed by WeChat.
SAMPLE_TOKEN, SAMPLE_APPID = "spamtest", "wx2c2769f8efd9abc2"
SAMPLE_TS, SAMPLE_NONCE = "1409735669", "1320562132"
SAMPLE_MSG_SIGNATURE = "5d197aaffba7e9b25a30732f161a50dee96bd5fa"
SAMPLE_ENCRYPT = (
    "hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PGHQHFVAFmOD"
    "2LdJF9FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6tEDYsVticbSnyU8dKOI"
    "bgU6ux5VTjg3yt+WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp3yZbGpy0VxpAe+77TszTfRd5RJSV"
    "O/HTnifJpXgCSUdUue1v6h0EIBYYI1BD1DlD+C0CR8e6OewpusjZ4uBl9FyJvnhvQl+q5rv1ixrcpCumEPo5MJSgM9ehVsNPfUM66"
    "9WuMyVWQLCzpu9GhglF2PE="
)
# Its plaintext (as decrypted) and the 16-byte random prefix that sample used.
SAMPLE_PLAIN = (
    "<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName>\n"
    "<FromUserName><![CDATA[oyORnuP8q7ou2gfYjqLzSIWZf0rs]]></FromUserName>\n"
    "<CreateTime>1409735668</CreateTime>\n"
    "<MsgType><![CDATA[text]]></MsgType>\n"
    "<Content><![CDATA[abcdteT]]></Content>\n"
    "<MsgId>6054768590064713728</MsgId>\n"
    "</xml>"
)
SAMPLE_RANDOM = "89465c840c5f116f"

TOKEN, AES_KEY, APPID = "qiaolian-token", DEMO_AES_KEY, "wxqiaolian000001"


def at_epoch(seconds: str) -> datetime:
    return datetime.fromtimestamp(int(seconds), tz=UTC)


# --- published vectors ----------------------------------------------------------------------------


def test_plain_signature_matches_published_vector() -> None:
    assert url_signature(PLAIN_TOKEN, PLAIN_TS, PLAIN_NONCE) == PLAIN_SIGNATURE
    query = sign_get(PLAIN_TOKEN, "echo-123", at=at_epoch(PLAIN_TS), nonce=PLAIN_NONCE)
    assert query == {
        "signature": PLAIN_SIGNATURE,
        "echostr": "echo-123",
        "timestamp": PLAIN_TS,
        "nonce": PLAIN_NONCE,
    }


@pytest.mark.parametrize(("plain", "cipher"), [(DEMO_PLAIN, DEMO_CIPHER), (DEMO_PLAIN_2, DEMO_CIPHER_2)])
def test_aes_matches_official_demo(plain: str, cipher: str) -> None:
    assert encrypt_payload(plain, DEMO_AES_KEY, DEMO_APPID, random_prefix=DEMO_RANDOM) == cipher
    assert decrypt_payload(cipher, DEMO_AES_KEY, DEMO_APPID) == plain


def test_compat_request_matches_official_sample() -> None:
    assert msg_signature(SAMPLE_TOKEN, SAMPLE_TS, SAMPLE_NONCE, SAMPLE_ENCRYPT) == SAMPLE_MSG_SIGNATURE
    query, body = sign_post(
        SAMPLE_PLAIN,
        "compat",
        SAMPLE_TOKEN,
        DEMO_AES_KEY,
        SAMPLE_APPID,
        at=at_epoch(SAMPLE_TS),
        nonce=SAMPLE_NONCE,
        random_prefix=SAMPLE_RANDOM,
    )
    assert query["msg_signature"] == SAMPLE_MSG_SIGNATURE
    assert query["encrypt_type"] == "aes"
    assert query["openid"] == "oyORnuP8q7ou2gfYjqLzSIWZf0rs"
    fields = parse_xml(body)
    assert fields["Encrypt"] == SAMPLE_ENCRYPT
    assert fields["Content"] == "abcdteT"  # compat mode keeps the plaintext fields


def test_wrong_appid_is_rejected() -> None:
    from wechatpy.exceptions import InvalidAppIdException

    with pytest.raises(InvalidAppIdException):
        decrypt_payload(DEMO_CIPHER, DEMO_AES_KEY, "wxsomeoneelse00")


# --- round trips through wechatpy's server side ---------------------------------------------------


@pytest.mark.parametrize("mode", ["plain", "compat", "aes"])
def test_sign_post_is_accepted_by_wechatpy(mode: inbound.Mode) -> None:
    xml = inbound.text_message("oUser1", "我想续签护照，怎么办？")
    query, body = sign_post(xml, mode, TOKEN, AES_KEY, APPID)
    check_signature(TOKEN, query["signature"], query["timestamp"], query["nonce"])
    assert query["openid"] == "oUser1"
    if mode == "plain":
        assert "msg_signature" not in query
        plaintext = body.decode()
    else:
        crypto = WeChatCrypto(TOKEN, AES_KEY, APPID)
        plaintext = crypto.decrypt_message(body, query["msg_signature"], query["timestamp"], query["nonce"])
        outer = parse_xml(body)
        assert ("Content" in outer) is (mode == "compat")
        assert set(outer) == ({"ToUserName", "Encrypt"} if mode == "aes" else set(outer))
    message = parse_message(plaintext)
    assert (message.type, message.source, message.content) == ("text", "oUser1", "我想续签护照，怎么办？")


def test_tampered_signature_fails() -> None:
    query, body = sign_post(inbound.text_message("oU", "hi"), "aes", TOKEN, AES_KEY, APPID)
    crypto = WeChatCrypto(TOKEN, AES_KEY, APPID)
    with pytest.raises(InvalidSignatureException):
        crypto.decrypt_message(body, query["msg_signature"], query["timestamp"], str(int(query["nonce"]) + 1))


# --- builders -------------------------------------------------------------------------------------


def test_message_builders_parse_as_wechat_messages() -> None:
    when = datetime(2025, 1, 28, 20, 0, tzinfo=UTC)
    voice = parse_message(inbound.voice_message("oV", recognition="我要办旅行证", at=when, msg_id=7))
    assert (voice.type, voice.recognition, voice.id, voice.time) == ("voice", "我要办旅行证", 7, 1738094400)
    no_asr = parse_xml(inbound.voice_message("oV"))
    assert "Recognition" not in no_asr and no_asr["Format"] == "amr"
    image = parse_message(inbound.image_message("oI", pic_url="http://mmbiz.qpic.cn/x"))
    assert (image.type, image.image) == ("image", "http://mmbiz.qpic.cn/x")
    assert parse_message(inbound.video_message("oS", short=True)).type == "shortvideo"
    assert parse_message(inbound.video_message("oS")).type == "video"
    loc = parse_message(inbound.location_message("oL", 43.65, -79.38, label="Toronto"))
    assert (loc.location, loc.label) == (("43.65", "-79.38"), "Toronto")
    link = parse_message(inbound.link_message("oK", "https://example.org/a", title="标题"))
    assert (link.type, link.url, link.title) == ("link", "https://example.org/a", "标题")
    text_a, text_b = parse_xml(inbound.text_message("o", "a")), parse_xml(inbound.text_message("o", "b"))
    assert text_a["MsgId"] != text_b["MsgId"]


def test_event_builders_parse_as_wechat_events() -> None:
    sub = parse_message(inbound.subscribe_event("oE", scene="embassy-toronto"))
    assert (sub.type, sub.event, sub.scene_id) == ("event", "subscribe_scan", "embassy-toronto")
    plain_sub = parse_message(inbound.subscribe_event("oE"))
    assert plain_sub.event == "subscribe"
    assert "MsgId" not in parse_xml(inbound.subscribe_event("oE"))
    assert parse_message(inbound.unsubscribe_event("oE")).event == "unsubscribe"
    scan = parse_message(inbound.scan_event("oE", "42"))
    assert (scan.event, scan.scene_id) == ("scan", "42")
    assert parse_message(inbound.click_event("oE", "MENU_FAQ")).key == "MENU_FAQ"
    view = parse_message(inbound.view_event("oE", "https://example.org/", menu_id=3))
    assert (view.event, view.url) == ("view", "https://example.org/")
    mass = parse_message(
        inbound.mass_send_job_finish_event(1000001625, total_count=4, filter_count=3, sent_count=3, error_count=0)
    )
    assert (mass.event, mass.id, mass.total_count, mass.filter_count, mass.status) == (
        "masssendjobfinish",
        1000001625,
        4,
        3,
        "send success",
    )
    tpl = parse_message(inbound.template_send_job_finish_event("oE", 200163836, status="failed:user block"))
    assert (tpl.event, tpl.id, tpl.status, tpl.source) == (
        "templatesendjobfinish",
        200163836,
        "failed:user block",
        "oE",
    )


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        inbound.text_message("o", "x", at=datetime(2025, 1, 1))


# --- passive replies ------------------------------------------------------------------------------


def test_decode_reply_plain_and_empty() -> None:
    reply = TextReply(source="gh_x", target="oU", content="您好").render()
    assert decode_reply(reply, "plain", TOKEN)["Content"] == "您好"  # type: ignore[index]
    assert decode_reply(b"success", "aes", TOKEN, AES_KEY, APPID) is None
    assert decode_reply(b"", "plain", TOKEN) is None


def test_decode_reply_encrypted() -> None:
    crypto = WeChatCrypto(TOKEN, AES_KEY, APPID)
    reply = TextReply(source="gh_x", target="oU", content="请提供护照号").render()
    body = crypto.encrypt_message(reply, "1320562132", "1409735669")
    decoded = decode_reply(body, "aes", TOKEN, AES_KEY, APPID, expect_nonce="1320562132")
    assert decoded is not None and decoded["Content"] == "请提供护照号" and decoded["ToUserName"] == "oU"
    with pytest.raises(ReplyVerificationError, match="nonce"):
        decode_reply(body, "aes", TOKEN, AES_KEY, APPID, expect_nonce="999")
    with pytest.raises(ReplyVerificationError, match="MsgSignature"):
        decode_reply(body, "aes", "another-token", AES_KEY, APPID)
    with pytest.raises(ReplyVerificationError, match="decrypt"):
        decode_reply(body, "aes", TOKEN, AES_KEY, "wxotherapp00000")
    with pytest.raises(ReplyVerificationError, match="encrypted"):
        decode_reply(reply, "aes", TOKEN, AES_KEY, APPID)
    assert decode_reply(reply, "compat", TOKEN, AES_KEY, APPID)["Content"] == "请提供护照号"  # type: ignore[index]


def test_parse_xml_keeps_news_items_a_list() -> None:
    xml = (
        "<xml><MsgType><![CDATA[news]]></MsgType><ArticleCount>1</ArticleCount>"
        "<Articles><item><Title><![CDATA[护照换发]]></Title></item></Articles></xml>"
    )
    assert parse_xml(xml)["Articles"] == {"item": [{"Title": "护照换发"}]}
