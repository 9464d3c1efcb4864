"""A small router in the spirit of aiogram: handlers registered per message type or event, routers included
into one dispatcher, first handler that answers wins."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from handlers.context import HandlerContext, Reply

Handler = Callable[[HandlerContext], Awaitable[Reply | None]]


class Router:
    def __init__(self, name: str) -> None:
        self.name = name
        self._messages: dict[str, list[Handler]] = {}
        self._events: dict[str, list[Handler]] = {}

    def message(self, *msg_types: str) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            for msg_type in msg_types:
                self._messages.setdefault(msg_type, []).append(handler)
            return handler

        return register

    def event(self, *events: str) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            for name in events:
                self._events.setdefault(name, []).append(handler)
            return handler

        return register

    def include(self, other: Router) -> None:
        for msg_type, handlers in other._messages.items():
            self._messages.setdefault(msg_type, []).extend(handlers)
        for name, handlers in other._events.items():
            self._events.setdefault(name, []).extend(handlers)

    def handlers_for(self, ctx: HandlerContext) -> list[Handler]:
        message = ctx.message
        if message.type == "event":
            event = str(getattr(message, "event", "") or "").lower()
            return list(self._events.get(event, []))
        return list(self._messages.get(str(message.type), []))

    async def dispatch(self, ctx: HandlerContext) -> Reply | None:
        for handler in self.handlers_for(ctx):
            reply = await handler(ctx)
            if reply is not None:
                return reply
        return None
