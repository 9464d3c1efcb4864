"""Settings and the data files staff maintain (FAQ, holidays, greeting texts)."""

from pathlib import Path

CONFIG_DIR = Path(__file__).resolve().parent
