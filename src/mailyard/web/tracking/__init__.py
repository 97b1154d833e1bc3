"""The links recipients' mail clients follow: the open pixel and tracked links."""
