"""Plug KB upkeep into the running service: the weekly review-due notice to supervisors."""

from __future__ import annotations

from typing import TYPE_CHECKING

from knowledge.review_notice import send_weekly_notice

if TYPE_CHECKING:
    from bot.services import Services

SWEEP_SECONDS = 3600.0


def install(services: Services) -> None:
    settings = services.settings

    async def sweep() -> None:
        await send_weekly_notice(
            services.sessions,
            services.notifier,
            services.deliveries.enqueue,
            services.clock.now(),
            settings.tz,
            settings.kb_review_months,
        )

    services.periodic.append((SWEEP_SECONDS, sweep))
