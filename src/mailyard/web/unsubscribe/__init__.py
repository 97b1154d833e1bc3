"""The public unsubscribe front door: the link every List-Unsubscribe header points at."""
