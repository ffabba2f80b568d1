"""A tiny SMTP server that accepts every message and throws it away, counting messages and connections.

    .venv/bin/python -m bench.smtp_sink [--port 0]

Prints ``port N`` once listening; on SIGTERM or SIGINT prints ``connections C messages M cpu S`` (its CPU seconds) and exits. It speaks just
enough SMTP for smtplib (EHLO/HELO, MAIL, RCPT, DATA, BDAT, RSET, NOOP, QUIT; commands may be pipelined), without TLS or authentication, so that a
benchmark measures the sender's side, not a mail server's. Run in its own process (bench/sweep.py starts it).
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
import time

EXTENSIONS: list[bytes] = []  # what EHLO offers besides 8BITMIME (``--offer``)
REFUSE = b""  # RCPT of an address containing this is refused (``--refuse``)


class Counts:
    connections = 0
    messages = 0


async def _session(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    Counts.connections += 1
    recipients = 0  # accepted for the message in progress
    writer.write(b"220 sink ESMTP\r\n")
    try:
        while True:
            line = await reader.readline()
            if not line:
                break
            verb = line[:4].upper()
            if verb == b"EHLO":
                writer.write(
                    b"250-sink\r\n" + b"".join(b"250-%s\r\n" % ext for ext in EXTENSIONS) + b"250 8BITMIME\r\n"
                )
            elif verb in (b"MAIL", b"RSET"):
                recipients = 0
                writer.write(b"250 ok\r\n")
            elif verb == b"RCPT":
                if REFUSE and REFUSE in line.lower():
                    writer.write(b"550 no such mailbox\r\n")
                else:
                    recipients += 1
                    writer.write(b"250 ok\r\n")
            elif verb == b"BDAT":  # RFC 3030: "BDAT <size> [LAST]", then exactly <size> bytes, read even if refused
                words = line.split()
                await reader.readexactly(int(words[1]))
                last = len(words) > 2 and words[2].upper() == b"LAST"
                if not recipients:
                    writer.write(b"554 no valid recipients\r\n")
                else:
                    Counts.messages += 1 if last else 0
                    recipients = 0 if last else recipients
                    writer.write(b"250 chunk taken\r\n")
            elif verb == b"DATA":
                if not recipients:
                    writer.write(b"554 no valid recipients\r\n")
                else:
                    writer.write(b"354 go ahead\r\n")
                    await writer.drain()
                    while True:
                        chunk = await reader.readline()
                        if not chunk or chunk == b".\r\n":
                            break
                    Counts.messages += 1
                    recipients = 0
                    writer.write(b"250 queued\r\n")
            elif verb == b"QUIT":
                writer.write(b"221 bye\r\n")
                await writer.drain()
                break
            else:  # HELO, NOOP
                writer.write(b"250 ok\r\n")
            await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        writer.close()


async def serve(port: int) -> None:
    server = await asyncio.start_server(_session, "127.0.0.1", port)
    print(f"port {server.sockets[0].getsockname()[1]}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with server:
        await stop.wait()
    print(f"connections {Counts.connections} messages {Counts.messages} cpu {time.process_time():.3f}", flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=0, help="0: any free port (printed).")
    parser.add_argument(
        "--offer",
        default="PIPELINING,CHUNKING",
        help="The extensions EHLO offers, comma-separated (PIPELINING, CHUNKING; empty: neither).",
    )
    parser.add_argument("--refuse", default="", help="Refuse recipients whose address contains this.")
    args = parser.parse_args(argv)
    global REFUSE
    REFUSE = args.refuse.lower().encode()
    EXTENSIONS.extend(ext.strip().upper().encode() for ext in args.offer.split(",") if ext.strip())
    asyncio.run(serve(args.port))


if __name__ == "__main__":
    sys.exit(main())
