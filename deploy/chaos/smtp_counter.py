#!/usr/bin/env python3
"""The chaos suite's mail server: a real SMTP server on loopback (aiosmtpd) that
counts what arrives by Message-ID and can misbehave on demand.

Every accepted message appends one line "<unix time> <Message-ID>" to --log
(flushed at once, so the harness reads it while mail flows). A message counts
as delivered only once the server has answered 250 to its end of DATA.

SIGUSR1 starts the fault, SIGUSR2 ends it. While it lasts, every other new
connection is dropped right after it is accepted, and every message that
reaches DATA stalls there: no reply until the fault ends (or --stall seconds
pass), then the connection is dropped without a reply and the message is not
counted, as a relay that died mid-transaction would. A client that sends it
again later delivers it once.

Prints "READY <port>" once listening; exits on SIGTERM/SIGINT.
"""
import argparse
import asyncio
import email.parser
import email.policy
import signal
import time

from aiosmtpd.smtp import SMTP


class Fault:
    def __init__(self):
        self.active = False
        self.ended = asyncio.Event()
        self.connections = 0


class Handler:
    def __init__(self, log, fault, stall):
        self.log = log
        self.fault = fault
        self.stall = stall
        self.parser = email.parser.BytesHeaderParser(policy=email.policy.compat32)

    async def handle_DATA(self, server, session, envelope):
        if self.fault.active:
            try:
                await asyncio.wait_for(self.fault.ended.wait(), self.stall)
            except asyncio.TimeoutError:
                pass
            server.transport.abort()
            return "421 4.3.0 dropped mid-DATA"
        raw = envelope.content if isinstance(envelope.content, bytes) else envelope.content.encode()
        message_id = self.parser.parsebytes(raw).get("Message-ID", "").strip() or "<none>"
        self.log.write(f"{time.time():.6f} {message_id}\n")
        self.log.flush()
        return "250 2.0.0 OK"


class FaultySMTP(SMTP):
    def connection_made(self, transport):
        super().connection_made(transport)
        fault = self.event_handler.fault
        if fault.active:
            fault.connections += 1
            if fault.connections % 2 == 1:
                transport.abort()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--log", required=True)
    parser.add_argument("--stall", type=float, default=60, help="longest stall in DATA during the fault")
    args = parser.parse_args()

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    fault = Fault()
    log = open(args.log, "a", buffering=1)
    handler = Handler(log, fault, args.stall)

    def start_fault():
        fault.active = True
        fault.ended = asyncio.Event()

    def end_fault():
        fault.active = False
        fault.ended.set()

    loop.add_signal_handler(signal.SIGUSR1, start_fault)
    loop.add_signal_handler(signal.SIGUSR2, end_fault)
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, loop.stop)

    def factory():
        return FaultySMTP(handler, hostname="chaos.localhost", timeout=300, loop=loop)

    server = loop.run_until_complete(loop.create_server(factory, host="127.0.0.1", port=args.port, backlog=512))
    print(f"READY {server.sockets[0].getsockname()[1]}", flush=True)
    loop.run_forever()


if __name__ == "__main__":
    main()
