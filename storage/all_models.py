"""Import every module that declares tables, so ``Base.metadata`` is complete (tests, tooling)."""

from storage import models  # noqa: F401
from tickets import models as ticket_models  # noqa: F401

try:  # greetings declares its tables in its own package
    from greetings import models as greeting_models  # noqa: F401
except ImportError:  # pragma: no cover - only while the package is being written
    pass
