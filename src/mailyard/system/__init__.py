"""Adapters to the operating system and to cryptographic primitives: the clock, the master key, signatures
and password hashes. The core reaches them only through its ports."""
