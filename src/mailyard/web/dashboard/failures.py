"""Core errors → the dashboard's HTTP statuses: the native API's table (the page shows the message; scripts get
JSON)."""

from __future__ import annotations

from mailyard.web.http_statuses import STATUS_BY_CODE

__all__ = ["STATUS_BY_CODE"]
