"""Fuzz a live gateway: random text and binary frames, broken JSON, oversize frames and
abrupt disconnects from chaos clients, and raw sockets that leave half-way through their
handshake, trickle it a byte at a time or flood pings or pongs, and clients that ask for
look-alikes of a name taken in their room, while well-behaved senders talk to a listener.

Before the chaos starts, a pong flood on its own: another client's ``who`` round trip is
timed with no flood and then while raw sockets write unsolicited pongs as fast as they can,
and the two medians are printed side by side with their ratio (a figure, not a verdict:
docs/performance.md keeps the measured ones).

The gateway must stay up, every well-formed message sent during the run must reach the
listener exactly once, no chaos connection may be left behind (a ghost that holds its
name and hears its room), no flooding socket may be left open, and no look-alike of a taken
name may be given.
``python -m serverless_chat.loadgen.fuzz --seconds 30``
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import statistics
import sys
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake

from serverless_chat.loadgen.process import GatewayProcess
from serverless_chat.routes import ACTIONS

PREFIX = "fuzz-ok-"
# Look-alikes of "Bob" (issue 25): Greek and Cyrillic capitals, whole-script ones, case,
# a digit, full width, and Hangul fillers that show nothing.
LOOKALIKES = (
    "\u0392ob",
    "\u0412ob",
    "\u0392\u039f\u0392",
    "\u0412\u041e\u0412",
    "BOB",
    "b0b",
    "\uff22\uff4f\uff42",
    "Bob\u3164",
    "Bob\u115f",
    "\u1160Bob",
)


@dataclass
class FuzzReport:
    seconds: float
    sent: int = 0
    received: Counter[str] = field(default_factory=Counter)
    chaos_frames: int = 0
    chaos_connections: int = 0
    raw_sockets: Counter[str] = field(default_factory=Counter)  # half-open, trickle, pings
    ghosts: int = 0  # chaos connections still in their rooms after the run
    lookalikes_asked: int = 0
    lookalikes_given: int = 0  # look-alikes of a taken name the chat let in
    pong_floods: int = 0  # raw sockets that wrote unsolicited pongs
    pong_floods_left_open: int = 0  # of those, the ones the gateway did not end
    round_trip_quiet: list[float] = field(default_factory=list)  # seconds, no flood
    round_trip_flooded: list[float] = field(default_factory=list)  # seconds, during a flood
    gateway_alive: bool = True
    answered_after: bool = True

    @property
    def lost(self) -> int:
        return sum(1 for i in range(self.sent) if self.received[f"{PREFIX}{i}"] == 0)

    @property
    def duplicates(self) -> int:
        return sum(n - 1 for n in self.received.values() if n > 1)

    def lines(self) -> list[str]:
        return [
            f"fuzzed for {self.seconds:.0f} s: {self.chaos_frames} chaos frames over "
            f"{self.chaos_connections} connections",
            "raw sockets: "
            + ", ".join(f"{n} {kind}" for kind, n in sorted(self.raw_sockets.items())),
            f"well-formed messages: sent {self.sent}, lost {self.lost}, "
            f"duplicates {self.duplicates}",
            f"chaos connections left behind: {self.ghosts}",
            f"look-alike names: asked {self.lookalikes_asked}, given {self.lookalikes_given}",
            *self.pong_flood_lines(),
            f"gateway alive: {self.gateway_alive}; answers after the run: {self.answered_after}",
        ]

    def pong_flood_lines(self) -> list[str]:
        lines = [f"pong floods: {self.pong_floods} sockets, {self.pong_floods_left_open} left open"]
        if self.round_trip_quiet and self.round_trip_flooded:
            quiet = statistics.median(self.round_trip_quiet)
            flooded = statistics.median(self.round_trip_flooded)
            lines.append(
                f"another client's round trip during a pong flood: median "
                f"{flooded * 1000:.1f} ms against {quiet * 1000:.1f} ms without "
                f"(x{flooded / quiet:.2f}; worst {max(self.round_trip_flooded) * 1000:.1f} ms, "
                f"{len(self.round_trip_flooded)} round trips)"
            )
        return lines

    @property
    def ok(self) -> bool:
        return (
            self.lost == self.duplicates == self.ghosts == self.lookalikes_given == 0
            and self.pong_floods_left_open == 0
            and self.gateway_alive
            and self.answered_after
            and self.sent > 0
        )


def chaos_frame(rng: random.Random) -> str | bytes:
    """One frame a broken or hostile client might send."""
    kind = rng.randrange(10)
    if kind == 0:
        return rng.randbytes(rng.randrange(1, 2048))
    if kind == 1:
        return "[" * rng.randrange(1000, 20000)
    if kind == 2:
        return json.dumps(
            {
                "action": rng.choice([*ACTIONS, "$connect", "nope", ""]),
                "message": rng.choice([None, 7, [], {}, "", "\x00\ufeff\u202e"]),
                "room": rng.choice(["", "UPPER", "x" * 65, None, "a/b"]),
                "name": rng.choice(["", "<script>", "x" * 40, 5]),
                "limit": rng.choice([0, -1, 10**9, "5", True]),
                "before": rng.choice(["", "1#x", 5]),
            }
        )
    if kind == 3:
        return "x" * rng.randrange(33 * 1024, 40 * 1024)  # over the 32 KB frame limit
    if kind == 4:
        return "".join(chr(rng.randrange(0x20, 0xD7FF)) for _ in range(rng.randrange(1, 300)))
    if kind == 5:
        return json.dumps({"action": "sendMessage", "message": "chaos", "to": "nobody"})
    if kind == 6:
        return '{"action": "sendMessage", "message": ' + '"' * rng.randrange(1, 50)
    if kind == 7:
        return json.dumps({"action": "join", "room": f"chaos{rng.randrange(3)}"})
    if kind == 8:
        return ""
    return json.dumps([rng.random() for _ in range(rng.randrange(1, 500))])


async def _chaos(url: str, report: FuzzReport, deadline: float, seed: int) -> None:
    rng = random.Random(seed)
    while time.monotonic() < deadline:
        try:
            client = await connect(
                f"{url}?room=chaos{rng.randrange(3)}", max_size=None, open_timeout=5
            )
        except (OSError, InvalidHandshake, TimeoutError):
            await asyncio.sleep(0.05)
            continue
        report.chaos_connections += 1
        try:
            for _ in range(rng.randrange(1, 30)):
                await client.send(chaos_frame(rng))
                report.chaos_frames += 1
                if rng.random() < 0.3:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(client.recv(), 0.05)
            if rng.random() < 0.5 and client.transport is not None:
                client.transport.abort()  # gone without a close frame
            else:
                await client.close()
        except ConnectionClosed:
            pass


async def _lookalikes(url: str, report: FuzzReport, deadline: float, seed: int) -> None:
    """Bob holds his name; others ask for its look-alikes in his room: each is refused."""
    rng = random.Random(seed)
    async with connect(f"{url}?room=names&name=Bob", open_timeout=10):
        while time.monotonic() < deadline:
            name = urllib.parse.quote(rng.choice(LOOKALIKES))
            report.lookalikes_asked += 1
            try:
                async with connect(f"{url}?room=names&name={name}", open_timeout=5):
                    report.lookalikes_given += 1
            except InvalidHandshake:
                pass  # refused: 409 taken, or 400 no name at all
            except (OSError, TimeoutError, ConnectionClosed):
                await asyncio.sleep(0.05)
            await asyncio.sleep(0.02)


_UPGRADE = (
    "GET {path}?room=chaos{room}&format=json HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
    "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    "Sec-WebSocket-Version: 13\r\n\r\n"
)


async def _raw(url: str, report: FuzzReport, deadline: float, seed: int) -> None:
    """Sockets no WebSocket library would make: an upgrade sent and the socket closed or
    reset before the 101, a request head trickled a byte at a time, a flood of pings or of
    unsolicited pongs."""
    rng = random.Random(seed)
    host, _, rest = url.removeprefix("ws://").partition("/")
    name, _, port = host.rpartition(":")
    while time.monotonic() < deadline:
        kind = rng.choice(["half-open", "reset", "trickle", "pings", "pongs"])
        try:
            reader, writer = await asyncio.open_connection(name, int(port))
        except OSError:
            await asyncio.sleep(0.05)
            continue
        upgrade = _UPGRADE.format(path="/" + rest, room=rng.randrange(3), host=host).encode()
        try:
            if kind == "trickle":
                for byte in upgrade[: rng.randrange(10, len(upgrade) - 4)]:
                    writer.write(bytes([byte]))
                    await asyncio.sleep(0.02)
            else:
                writer.write(upgrade)
                await writer.drain()
                if kind in ("pings", "pongs"):
                    await reader.readuntil(b"\r\n\r\n")
                    opcode = b"\x89" if kind == "pings" else b"\x8a"
                    for _ in range(100):
                        writer.write(opcode + b"\x80" + rng.randbytes(4))  # masked, empty
                    await writer.drain()
                    await asyncio.sleep(0.1)
                elif kind == "reset":
                    sock = writer.get_extra_info("socket")
                    if sock is not None:
                        import socket as sockets
                        import struct

                        sock.setsockopt(
                            sockets.SOL_SOCKET, sockets.SO_LINGER, struct.pack("ii", 1, 0)
                        )
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()
        report.raw_sockets[kind] += 1


EMPTY_PONG = b"\x8a\x80\x00\x00\x00\x00"  # masked, no payload: the cheapest frame to send
PONGS_PER_WRITE = 10_000
WRITES_PER_FLOOD = 100
# A flooding client starts again this long after the gateway ends it, so that what is timed
# is the flood, not a storm of handshakes (each a $connect and a $disconnect).
RECONNECT_AFTER = 0.1


async def _flood_pongs(url: str, report: FuzzReport, flooding: asyncio.Event) -> None:
    """Raw sockets that write unsolicited pongs, one after another while ``flooding`` is set
    (``RECONNECT_AFTER`` apart), each until the gateway ends it (a 1008 close and the end of
    the stream, or the socket closed under it); one not ended within 30 s is left open."""
    host, _, rest = url.removeprefix("ws://").partition("/")
    name, _, port = host.rpartition(":")
    upgrade = _UPGRADE.format(path="/" + rest, room="pongs", host=host).encode()
    while flooding.is_set():
        try:
            reader, writer = await asyncio.open_connection(name, int(port))
        except OSError:
            await asyncio.sleep(0.05)
            continue
        report.pong_floods += 1
        ended = False
        answer: asyncio.Task[bytes] | None = None
        try:
            writer.write(upgrade)
            await reader.readuntil(b"\r\n\r\n")
            answer = asyncio.create_task(reader.read())  # a close frame, then the end
            for _ in range(WRITES_PER_FLOOD):
                writer.write(EMPTY_PONG * PONGS_PER_WRITE)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(writer.drain(), 1.0)
                if answer.done():
                    break
            await asyncio.wait_for(answer, 30)
            ended = True
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            ended = True  # reset or closed under the writes
        except TimeoutError:
            ended = False
        finally:
            if answer is not None and not answer.done():
                answer.cancel()
            writer.transport.abort()
        if not ended:
            report.pong_floods_left_open += 1
        await asyncio.sleep(RECONNECT_AFTER)


async def _round_trip(probe: ClientConnection) -> float:
    started = time.perf_counter()
    await probe.send(json.dumps({"action": "who"}))
    while True:
        frame = json.loads(await asyncio.wait_for(probe.recv(), 30))
        if frame.get("type") == "who":
            return time.perf_counter() - started


async def _round_trips(probe: ClientConnection, seconds: float, into: list[float]) -> None:
    """One round trip every 20 ms for ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        into.append(await _round_trip(probe))
        await asyncio.sleep(0.02)


async def measure_pong_flood(
    url: str, report: FuzzReport, rounds: int = 3, seconds: float = 1.0, flooders: int = 2
) -> None:
    """Another client's round trip for ``seconds`` without a flood, then for as long during
    one (``flooders`` raw sockets writing pongs, each replaced soon after the gateway ends
    it), ``rounds`` times in turn, so that what else the machine does weighs on both."""
    async with connect(f"{url}?room=pong-probe&format=json&name=prober") as probe:
        await _round_trip(probe)  # its function warm, as it is for the flooded ones
        for _ in range(rounds):
            await _round_trips(probe, seconds, report.round_trip_quiet)
            flooding = asyncio.Event()
            flooding.set()
            opened = report.pong_floods
            floods = [
                asyncio.create_task(_flood_pongs(url, report, flooding)) for _ in range(flooders)
            ]
            began = time.monotonic()
            while report.pong_floods < opened + flooders and time.monotonic() - began < 30:
                await asyncio.sleep(0.01)  # until the flood has begun
            await _round_trips(probe, seconds, report.round_trip_flooded)
            flooding.clear()
            await asyncio.gather(*floods)


async def _ghosts(url: str) -> int:
    """Connections other than the probe itself still in the chaos rooms."""
    left = 0
    for room in range(3):
        async with connect(f"{url}?room=chaos{room}&format=json&name=probe{room}") as probe:
            await probe.send(json.dumps({"action": "who"}))
            for _ in range(20):
                frame = json.loads(await asyncio.wait_for(probe.recv(), 5))
                if frame.get("type") == "who":
                    left += len([n for n in frame.get("names", []) if n != f"probe{room}"])
                    break
    return left


async def _listen(client: ClientConnection, report: FuzzReport) -> None:
    try:
        async for message in client:
            if isinstance(message, str) and message.startswith(PREFIX):
                report.received[message] += 1
    except ConnectionClosed:
        pass


async def run(url: str, seconds: float, chaos_clients: int = 6, senders: int = 3) -> FuzzReport:
    report = FuzzReport(seconds)
    await measure_pong_flood(url, report)
    listener = await connect(f"{url}?room=general")
    talkers = [await connect(f"{url}?room=general") for _ in range(senders)]
    listening = asyncio.create_task(_listen(listener, report))
    # Drain whatever the talkers are sent, so they never block.
    draining = [asyncio.create_task(_listen(talker, FuzzReport(0))) for talker in talkers]
    deadline = time.monotonic() + seconds
    chaos = [
        asyncio.create_task(_chaos(url, report, deadline, seed)) for seed in range(chaos_clients)
    ]
    chaos += [asyncio.create_task(_raw(url, report, deadline, 1000 + seed)) for seed in range(2)]
    chaos.append(asyncio.create_task(_lookalikes(url, report, deadline, 2000)))
    while time.monotonic() < deadline:
        for talker in talkers:
            await talker.send(
                json.dumps({"action": "sendMessage", "message": f"{PREFIX}{report.sent}"})
            )
            report.sent += 1
        await asyncio.sleep(0.05)
    await asyncio.gather(*chaos)
    await asyncio.sleep(1.0)  # let the last deliveries land
    try:
        probe = await connect(url, open_timeout=5)
        await probe.send(json.dumps({"action": "who"}))
        await asyncio.wait_for(probe.recv(), 5)
        await probe.close()
        await asyncio.sleep(1.0)  # the last chaos connections' $disconnects
        report.ghosts = await _ghosts(url)
    except Exception:
        report.answered_after = False
    for task in (listening, *draining):
        task.cancel()
    for client in (listener, *talkers):
        await client.close()
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--url", help="fuzz this gateway instead of starting one")
    args = parser.parse_args(argv)
    gateway = None if args.url else GatewayProcess("MessagesPerSecond=10000", "MessageBurst=10000")
    url = args.url or (gateway.url if gateway else "")
    try:
        report = asyncio.run(run(url, args.seconds))
        if gateway is not None:
            report.gateway_alive = gateway.alive
    finally:
        if gateway is not None:
            gateway.stop()
    print("\n".join(report.lines()))
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
