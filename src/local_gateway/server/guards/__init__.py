"""The gateway's guards against what a hostile page or client on this machine may send: who
may talk to it (Host and Origin, guard.py), whether one more client is taken (admission.py),
and a client's frames checked in the bytes before aiohttp parses them (client_frames.py)."""
