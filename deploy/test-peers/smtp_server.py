#!/usr/bin/env python3
"""A real SMTP server on loopback for Herald's Delivery tests (aiosmtpd).

Every accepted message is appended as one JSON line to DIR/messages.jsonl:
envelope, the connection it came on, TLS/AUTH state, the raw bytes (base64)
and an independent parse by Python's email package (decoded headers and
parts), so the Swift tests check the MIME output against a second
implementation. Each new TCP connection is appended to DIR/connections.log.

Prints "READY <port>" once listening. Exits on SIGTERM/SIGINT, when stdin
reaches end of file (the test process is gone), or after --max-seconds.

With --control, one process serves many independent servers (Python's
start-up costs far more than a listener, and a test suite needs dozens):
each stdin line "START <id> <options…>" starts one with those options and
answers "READY <id> <port>" (or "ERROR <id> <reason>"); "STOP <id>" stops it.

Options (per server):
  --port N            0 (default) picks a free port
  --dir DIR           where messages.jsonl and connections.log go
  --starttls          offer STARTTLS (needs --cert/--key); --require-starttls
                      refuses MAIL before it
  --tls               implicit TLS from the first byte (needs --cert/--key)
  --auth USER:PASS    offer AUTH PLAIN and LOGIN, accept only these credentials
                      (over TLS only, unless --auth-insecure)
  --script 451,250    reply to the Nth end-of-DATA with the Nth code (then 250)
  --rcpt-script 550   the same for RCPT TO commands
  --no-pipelining     do not announce PIPELINING (it is announced by default)
  --no-ehlo           answer EHLO with 502, so clients fall back to HELO
  --idle-timeout S    close a connection idle for S seconds (default 30)
"""
import argparse
import asyncio
import base64
import email
import email.policy
import json
import os
import shlex
import signal
import ssl
import sys
import threading

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


class UsageError(Exception):
    pass


class Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(message)


def server_parser():
    p = Parser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--control", action="store_true")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--dir")
    p.add_argument("--starttls", action="store_true")
    p.add_argument("--require-starttls", action="store_true")
    p.add_argument("--tls", action="store_true")
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--auth")
    p.add_argument("--auth-insecure", action="store_true")
    p.add_argument("--script", default="")
    p.add_argument("--rcpt-script", default="")
    p.add_argument("--no-pipelining", action="store_true")
    p.add_argument("--no-ehlo", action="store_true")
    p.add_argument("--idle-timeout", type=float, default=30)
    p.add_argument("--max-seconds", type=float, default=300)
    return p


def parse_server_args(argv):
    args = server_parser().parse_args(argv)
    if not args.dir:
        raise UsageError("--dir is required")
    if (args.starttls or args.tls) and not (args.cert and args.key):
        raise UsageError("--starttls and --tls need --cert and --key")
    return args


def codes(text):
    return [int(c) for c in text.split(",") if c.strip()]


REASONS = {4: "4.3.0 Scripted temporary failure", 5: "5.7.1 Scripted permanent failure"}


class Handler:
    def __init__(self, args):
        self.args = args
        self.data_script = codes(args.script)
        self.rcpt_script = codes(args.rcpt_script)
        self.data_count = 0
        self.rcpt_count = 0
        self.connections = 0
        self.lock = threading.Lock()

    def scripted(self, script, n):
        code = script[n - 1] if n <= len(script) else 250
        return None if code == 250 else f"{code} {REASONS.get(code // 100, 'Scripted')}"

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        if self.args.no_ehlo:
            return ["502 5.5.1 EHLO not implemented"]
        session.host_name = hostname
        if not self.args.no_pipelining:
            responses.insert(1, "250-PIPELINING")
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        self.rcpt_count += 1
        reply = self.scripted(self.rcpt_script, self.rcpt_count)
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.data_count += 1
        reply = self.scripted(self.data_script, self.data_count)
        if reply:
            return reply
        raw = envelope.content if isinstance(envelope.content, bytes) else envelope.content.encode()
        record = {
            "connection": server.herald_connection,
            "tls": session.ssl is not None or self.args.tls,
            "authenticated": bool(session.authenticated),
            "login": session.auth_data.login.decode() if isinstance(session.auth_data, LoginPassword) else None,
            "auth_mechanism": getattr(server, "herald_mechanism", None),
            "helo": session.host_name,
            "mail_from": envelope.mail_from,
            "mail_options": envelope.mail_options,
            "rcpt_tos": envelope.rcpt_tos,
            "raw_b64": base64.b64encode(raw).decode(),
            "parsed": describe(raw),
        }
        with self.lock, open(os.path.join(self.args.dir, "messages.jsonl"), "a") as f:
            f.write(json.dumps(record) + "\n")
        return "250 2.0.0 OK queued as herald-test"


def describe(raw):
    head = raw.split(b"\r\n\r\n", 1)[0]
    if any(b >= 0x80 for b in head):
        # SMTPUTF8 mail (RFC 6532): headers are UTF-8, which the bytes
        # parser would turn into surrogate escapes.
        msg = email.message_from_string(raw.decode("utf-8", "replace"), policy=email.policy.SMTPUTF8)
    else:
        msg = email.message_from_bytes(raw, policy=email.policy.default)
    parts = []
    defects = [str(d) for d in msg.defects]
    for part in msg.walk():
        defects += [str(d) for d in part.defects]
        if part.is_multipart():
            continue
        parts.append({
            "content_type": part.get_content_type(),
            "charset": part.get_content_charset(),
            "transfer_encoding": part.get("Content-Transfer-Encoding"),
            "content": part.get_content(),
        })
    addresses = {}
    for name in ("From", "To", "Cc", "Bcc", "Reply-To"):
        if msg[name] is not None:
            addresses[name] = [[a.display_name, a.addr_spec] for a in msg[name].addresses]
    return {
        "headers": [[k, str(v)] for k, v in msg.items()],
        "addresses": addresses,
        "content_type": msg.get_content_type(),
        "is_multipart": msg.is_multipart(),
        "parts": parts,
        "defects": defects,
    }


class CountingSMTP(SMTP):
    """Numbers TCP connections (not the re-entry after STARTTLS)."""

    def connection_made(self, transport):
        if self._original_transport is None:
            self.event_handler.connections += 1
            self.herald_connection = self.event_handler.connections
            with open(os.path.join(self.herald_dir, "connections.log"), "a") as f:
                f.write(f"{self.herald_connection}\n")
        super().connection_made(transport)


async def start_server(args, loop):
    """One listening server with its own options, counters and directory."""
    os.makedirs(args.dir, exist_ok=True)
    context = None
    if args.cert:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(args.cert, args.key)

    user, password = (args.auth.split(":", 1) if args.auth else (None, None))

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword)
              and auth_data.login.decode() == user and auth_data.password.decode() == password)
        if ok:
            server.herald_mechanism = mechanism
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)

    handler = Handler(args)

    def factory():
        server = CountingSMTP(
            handler,
            hostname="herald-test.localhost",
            enable_SMTPUTF8=True,
            tls_context=context if args.starttls else None,
            require_starttls=args.require_starttls,
            authenticator=authenticator if args.auth else None,
            auth_require_tls=not (args.auth_insecure or args.tls),
            auth_exclude_mechanism=[] if args.auth else ["PLAIN", "LOGIN"],
            timeout=args.idle_timeout,
            loop=loop,
        )
        server.herald_dir = args.dir
        return server

    return await loop.create_server(factory, host=args.host, port=args.port, ssl=context if args.tls else None)


def control(loop):
    """Reads START/STOP lines from stdin (on a thread); stops the loop at EOF."""
    servers = {}
    out_lock = threading.Lock()

    def say(line):
        with out_lock:
            print(line, flush=True)

    async def start(ident, argv):
        try:
            server = await start_server(parse_server_args(argv), loop)
        except Exception as error:  # reported to the test, which fails with it
            say(f"ERROR {ident} {type(error).__name__}: {error}".replace("\n", " "))
            return
        servers[ident] = server
        say(f"READY {ident} {server.sockets[0].getsockname()[1]}")

    def stop(ident):
        server = servers.pop(ident, None)
        if server:
            server.close()

    for line in sys.stdin:
        words = shlex.split(line)
        if len(words) >= 2 and words[0] == "START":
            asyncio.run_coroutine_threadsafe(start(words[1], words[2:]), loop)
        elif len(words) == 2 and words[0] == "STOP":
            loop.call_soon_threadsafe(stop, words[1])
    loop.call_soon_threadsafe(loop.stop)


def main():
    try:
        args = server_parser().parse_args()
        if not args.control:
            args = parse_server_args(sys.argv[1:])
    except UsageError as error:
        print(f"smtp_server.py: {error}", file=sys.stderr)
        sys.exit(2)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, loop.stop)
    loop.call_later(args.max_seconds, loop.stop)

    if args.control:
        threading.Thread(target=control, args=(loop,), daemon=True).start()
        print("READY control", flush=True)
    else:
        server = loop.run_until_complete(start_server(args, loop))
        # Exit with the test process: its end of our stdin closes when it dies.
        threading.Thread(target=lambda: (sys.stdin.read(), loop.call_soon_threadsafe(loop.stop)), daemon=True).start()
        print(f"READY {server.sockets[0].getsockname()[1]}", flush=True)
    loop.run_forever()


if __name__ == "__main__":
    main()
