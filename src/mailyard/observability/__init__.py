"""Operations: Prometheus metrics, health and readiness probes, structured logs. An adapter outside the core."""
