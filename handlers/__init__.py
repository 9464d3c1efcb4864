"""The service layer of a conversation: one router per kind of message, included into one dispatcher."""

from handlers.dispatcher import Router


def build_dispatcher() -> Router:
    from handlers import events, media, text

    root = Router("root")
    for router in (text.router, media.router, events.router):
        root.include(router)
    return root
