"""The adapter that posts webhooks over HTTP (httpx) and signs them (Standard Webhooks)."""
