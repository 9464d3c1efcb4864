"""Import every module that declares tables, so ``Base.metadata`` is complete (tests, tooling)."""

from console import models as console_models  # noqa: F401
from greetings import models as greeting_models  # noqa: F401
from storage import models  # noqa: F401
from tickets import models as ticket_models  # noqa: F401
