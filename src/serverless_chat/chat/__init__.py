"""The chat itself: protocol, fan-out and replies. No I/O of its own: it talks to ports."""
