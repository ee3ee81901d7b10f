"""Keel: open-source software for opioid use disorder care."""

__version__ = "0.1.0"
