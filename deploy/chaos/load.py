#!/usr/bin/env python3
"""The chaos suite's steady load: POST /api/v0/notifications/send at a fixed
rate (open loop: a send is due every 1/rate s whatever the server does; when
every client is still waiting, the due send is skipped and counted, so a slow
server cannot slow the clock that judges it), and GET /readyz every
--probe-interval seconds on a connection of its own.

Appends one line per request to --log, flushed at once:
  send <start> <end> <status> <notification id or ->
  ready <start> <end> <status>
status 0 means no answer (refused, reset, or --timeout passed). Runs until
SIGTERM, then writes "skipped <n>" and exits.
"""
import argparse
import http.client
import json
import queue
import signal
import threading
import time


class Client:
    """One keep-alive connection, made again after any failure."""

    def __init__(self, port, timeout):
        self.port = port
        self.timeout = timeout
        self.connection = None

    def call(self, method, path, headers, body=None):
        try:
            if self.connection is None:
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
            response.read()
            return response.status, response.getheader("Location") or ""
        except (OSError, http.client.HTTPException):
            if self.connection is not None:
                self.connection.close()
            self.connection = None
            return 0, ""


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--tenant", required=True)
    parser.add_argument("--public-key", required=True)
    parser.add_argument("--secret-key", required=True)
    parser.add_argument("--channel", default="chaos-mail")
    parser.add_argument("--template", default="chaos")
    parser.add_argument("--rate", type=float, default=40)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--timeout", type=float, default=60)
    parser.add_argument("--probe-interval", type=float, default=0.5)
    parser.add_argument("--log", required=True)
    args = parser.parse_args()

    log = open(args.log, "a", buffering=1)
    log_lock = threading.Lock()
    stop = threading.Event()

    def write(line):
        with log_lock:
            log.write(line + "\n")

    headers = {"Content-Type": "application/json", "x-protocol-public-key": args.public_key,
               "x-protocol-secret-key": args.secret_key}
    idle = threading.Semaphore(args.clients)
    due = queue.Queue()

    def sender(number):
        client = Client(args.port, args.timeout)
        while True:
            sequence = due.get()
            if sequence is None:
                return
            body = json.dumps({"tenantId": args.tenant, "template": args.template, "channel": args.channel,
                               "input": {"to": [f"chaos{sequence}@herald.test"]},
                               "variables": {"n": sequence}}).encode()
            started = time.time()
            status, location = client.call("POST", "/api/v0/notifications/send", headers, body)
            ended = time.time()
            ident = location.rsplit("/", 1)[-1] if status == 200 and location else "-"
            write(f"send {started:.6f} {ended:.6f} {status} {ident}")
            idle.release()

    def prober():
        client = Client(args.port, args.timeout)
        while not stop.is_set():
            started = time.time()
            status, _ = client.call("GET", "/readyz", {})
            write(f"ready {started:.6f} {time.time():.6f} {status}")
            stop.wait(max(0.0, args.probe_interval - (time.time() - started)))

    threads = [threading.Thread(target=sender, args=(n,), daemon=True) for n in range(args.clients)]
    threads.append(threading.Thread(target=prober, daemon=True))
    for thread in threads:
        thread.start()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())

    interval = 1.0 / args.rate
    next_due = time.monotonic()
    sequence = 0
    skipped = 0
    while not stop.is_set():
        sequence += 1
        if idle.acquire(blocking=False):
            due.put(sequence)
        else:
            skipped += 1
        next_due += interval
        delay = next_due - time.monotonic()
        if delay > 0:
            stop.wait(delay)
    write(f"skipped {skipped}")
    # Requests still waiting are not waited for: they are reported as never answered.
    log.flush()


if __name__ == "__main__":
    main()
