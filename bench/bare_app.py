"""The yardstick: a bare FastAPI endpoint that returns a constant passive reply, served like the real one."""

from fastapi import FastAPI
from fastapi.responses import Response

app = FastAPI()
REPLY = (
    "<xml><ToUserName><![CDATA[o]]></ToUserName><FromUserName><![CDATA[gh]]></FromUserName>"
    "<CreateTime>0</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[ok]]></Content></xml>"
)


@app.post("/wechat")
async def wechat() -> Response:
    return Response(REPLY, media_type="application/xml")
