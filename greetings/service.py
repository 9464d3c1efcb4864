"""Festival greeting campaigns: drafted ahead, edited, previewed and approved by supervisors, sent once.

Exactly once, by design rather than by luck: the due work is a ``GreetingSend`` row; a sweeper (every
worker process runs one) claims due rows atomically (``greetings.claims``) and enqueues a job per claim;
the job records ``sending`` before it calls WeChat, and the call carries a ``clientmsgid`` derived from
the campaign, so a second claimant after a crash makes WeChat answer 45065 with the first ``msg_id``
instead of sending again. Every way a send can end is a stored state with a reason, and supervisors get a
notice for each one that needs them (unapproved before the time, missed, failed, uncertain).
"""

from __future__ import annotations

from greetings.approval import Approval
from greetings.results import Results
from greetings.scheduling import Scheduling
from greetings.sending import Sending


class GreetingService(Scheduling, Approval, Sending, Results):
    """A campaign's whole life over one set of adapters (see ``greetings.core.GreetingCore``)."""
