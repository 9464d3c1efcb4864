"""The knowledge base as staff's work: drafts and publishing, per-entry history, policy sources, review
dates, the KB check and what the bot missed. The matcher itself lives in ``faq/``; this package only uses
its public API (``FaqMatcher.build``, ``decide``, ``Decision``)."""
