"""Everything served over SMTP, siblings like web/'s: inbound/ (bounces, complaints), submission/."""
