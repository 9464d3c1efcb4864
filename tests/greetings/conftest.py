"""Greeting services on the fake WeChat's manual clock: send times, leases and grace need no waiting."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
import pytest_asyncio

from greetings.config import GreetingConfig
from greetings.service import GreetingService

GreetingEnv = Callable[..., Awaitable[tuple[Any, GreetingService]]]


@pytest.fixture
def greeting_config() -> GreetingConfig:
    return GreetingConfig(account_type="subscription", grace_hours=2, remind_hours_before=[48, 4])


@pytest_asyncio.fixture
async def make_greetings(make_services, fake_clock, greeting_config) -> GreetingEnv:
    """A process: services on the test backend with greetings on the test config. Call twice for two hosts."""

    async def make(config: GreetingConfig | None = None) -> tuple[Any, GreetingService]:
        services = await make_services(clock=fake_clock, greeting_config=config or greeting_config)
        return services, services.greetings

    return make
