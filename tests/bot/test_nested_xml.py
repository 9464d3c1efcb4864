"""XML nested far deeper than WeChat ever sends is a 400, in plaintext and inside an encrypted envelope."""

from __future__ import annotations

from tests.conftest import TEST_AES_KEY, TEST_APPID, TEST_TOKEN
from wechat import inbound

DEPTH = 9000


def _deep(openid: str, depth: int = DEPTH) -> str:
    message = inbound.text_message(openid, "护照")
    nested = "<a>" * depth + "x" + "</a>" * depth
    return message.replace("</xml>", f"<Extra>{nested}</Extra></xml>")


async def test_deeply_nested_plaintext_is_400(client, wechat_user) -> None:  # type: ignore[no-untyped-def]
    query, body = inbound.sign_post(_deep("o_deep"), "plain", TEST_TOKEN, openid="o_deep")
    response = await client.post("/wechat", params=query, content=body)
    assert response.status_code == 400 and response.text == "malformed xml"
    assert await wechat_user("plain").say("护照丢了怎么办") is not None  # the process is unharmed


async def test_deeply_nested_inside_the_envelope_is_400(aes_client) -> None:  # type: ignore[no-untyped-def]
    # Built by hand: the test helpers parse what they sign, and would hit the recursion themselves.
    # 5,000 levels: 9,000 would exceed the 64 KiB body limit once encrypted (and get 413).
    encrypt = inbound.encrypt_payload(_deep("o_deep", 5000), TEST_AES_KEY, TEST_APPID)
    query = inbound.sign_get(TEST_TOKEN, "")
    del query["echostr"]
    query.update(
        encrypt_type="aes", msg_signature=inbound.msg_signature(TEST_TOKEN, query["timestamp"], query["nonce"], encrypt)
    )
    body = inbound.render_xml({"ToUserName": inbound.DEFAULT_ACCOUNT_ID, "Encrypt": encrypt}).encode()
    response = await aes_client.post("/wechat", params=query, content=body)
    assert response.status_code == 400 and response.text == "malformed xml"


async def test_wechats_deepest_real_event_still_parses(client) -> None:  # type: ignore[no-untyped-def]
    # pic_sysphoto: xml > SendPicsInfo > PicList > item > PicMd5Sum
    xml = (
        "<xml><ToUserName><![CDATA[gh_qiaolian00001]]></ToUserName><FromUserName><![CDATA[o_pic]]></FromUserName>"
        "<CreateTime>1700000000</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[pic_sysphoto]]>"
        "</Event><EventKey><![CDATA[PHOTO]]></EventKey><SendPicsInfo><Count>1</Count><PicList><item><PicMd5Sum>"
        "<![CDATA[1b5f7c23b5bf75682a53e7b6d163e185]]></PicMd5Sum></item></PicList></SendPicsInfo></xml>"
    )
    query, body = inbound.sign_post(xml, "plain", TEST_TOKEN)
    assert (await client.post("/wechat", params=query, content=body)).status_code == 200
