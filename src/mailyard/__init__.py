"""Mailyard: a self-hosted mail task service."""

__version__ = "0.1.0"
