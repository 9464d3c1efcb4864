"""FAQ engine: knowledge base, matcher (answer / suggest / handover) and measuring tools."""

from faq.kb import FaqEntry, KbValidationError, load_kb, parse_kb_rows
from faq.kb_writer import dump_kb
from faq.matcher import Decision, FaqMatcher

__all__ = ["Decision", "FaqEntry", "FaqMatcher", "KbValidationError", "dump_kb", "load_kb", "parse_kb_rows"]
