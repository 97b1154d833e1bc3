"""The inbound listener: bounces and complaints come back over SMTP to the return-path addresses."""
