"""Which way a reply goes (passive, or late as a customer-service message), decided once by either side."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Route = Literal["passive", "late"]


class ReplyRoute:
    """Decided once: the first caller of ``choose`` fixes the route for both sides."""

    def __init__(self) -> None:
        self.route: Route | None = None

    def choose(self, route: Route) -> Route:
        if self.route is None:
            self.route = route
        return self.route


@dataclass
class Outcome:
    reply_xml: bytes  # passive reply, b"" for "success"
