#!/usr/bin/env python3
"""Reads a scenario's load log (load.py) and the mail log (smtp_counter.py) and
answers the chaos suite's questions. Times are Unix seconds from one clock.

  report.py recovered LOAD MAIL FAULT_END TIMEOUT
      waits until a send started after FAULT_END was answered 200 and delivered;
      prints the Unix time of the later of the two ("none" after TIMEOUT s)
  report.py drained LOAD MAIL TIMEOUT
      waits until every send answered 200 was delivered (or TIMEOUT s pass)
  report.py missing LOAD MAIL
      prints the ids of sends answered 200 that have not arrived, one a line
  report.py row NAME LOAD MAIL FAULT_START FAULT_END RECOVERED_AT WINDOW [options]
      prints one tab-separated row and exits 1 when it breaks a bar
"""
import argparse
import statistics
import sys
import time


def read_load(path):
    sends, probes = [], []
    with open(path) as f:
        for line in f:
            words = line.split()
            if len(words) == 5 and words[0] == "send":
                sends.append((float(words[1]), float(words[2]), int(words[3]), words[4]))
            elif len(words) == 4 and words[0] == "ready":
                probes.append((float(words[1]), float(words[2]), int(words[3])))
    return sends, probes


def read_mail(path):
    """Notification id -> delivery times. Herald's Message-ID is <notification id@sender domain>."""
    deliveries = {}
    with open(path) as f:
        for line in f:
            words = line.split()
            if len(words) != 2:
                continue
            ident = words[1].strip("<>").split("@", 1)[0]
            deliveries.setdefault(ident, []).append(float(words[0]))
    return deliveries


def recovered(load, mail, fault_end, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        sends, _ = read_load(load)
        deliveries = read_mail(mail)
        after = [s for s in sends if s[0] >= fault_end and s[2] == 200]
        delivered = [min(deliveries[s[3]]) for s in after if s[3] in deliveries]
        if after and delivered:
            answered = min(s[1] for s in after)
            print(f"{max(answered, min(delivered)):.6f}")
            return 0
        time.sleep(0.2)
    print("none")
    return 0


def drained(load, mail, timeout):
    deadline = time.time() + timeout
    while True:
        sends, _ = read_load(load)
        deliveries = read_mail(mail)
        missing = [s for s in sends if s[2] == 200 and s[3] not in deliveries]
        if not missing or time.time() >= deadline:
            print(len(missing))
            return 0
        time.sleep(0.5)


def missing(load, mail):
    sends, _ = read_load(load)
    deliveries = read_mail(mail)
    for s in sends:
        if s[2] == 200 and s[3] not in deliveries:
            print(s[3])
    return 0


def rate(sends, start, end):
    return sum(1 for s in sends if start <= s[0] < end and s[2] == 200) / max(end - start, 0.001)


def row(args):
    sends, probes = read_load(args.load)
    deliveries = read_mail(args.mail)
    ok = [s for s in sends if s[2] == 200]
    ids = {s[3] for s in ok}
    # Not arrived but still queued for a retry is pending, not lost.
    lost = sum(1 for i in ids if i not in deliveries) - args.pending
    # Twice: any message of this scenario's span that arrived more than once (answered 200 or not).
    first_times = {i: min(t) for i, t in deliveries.items()}
    span_start = min((s[0] for s in sends), default=0)
    twice = sum(1 for i, t in deliveries.items()
                if len(t) > 1 and (i in ids or span_start <= first_times[i]))
    # A message that arrived in the second before a SIGKILL (or within 0.2 s after it: the server
    # logs it once it has read the end of DATA the worker wrote before dying) was sent by a worker
    # that died before it could record the outcome: delivered again after the lease, whatever
    # Herald does.
    kills = [float(l) for l in open(args.kills)] if args.kills else []
    at_kill = sum(1 for i, t in deliveries.items()
                  if len(t) > 1 and (i in ids or span_start <= first_times[i])
                  and any(k - 1.0 <= first_times[i] <= k + 0.2 for k in kills))
    fault_start, fault_end, window = args.fault_start, args.fault_end, args.window
    before = rate(sends, fault_start - window, fault_start)
    if args.recovered_at == "none":
        recovery, after = None, 0.0
    else:
        recovered_at = float(args.recovered_at)
        recovery = max(0.0, recovered_at - fault_end)
        after = rate(sends, recovered_at, recovered_at + window)
    ratio = after / before if before else 0.0
    waits = [s[1] - s[0] for s in sends if s[0] <= fault_end and s[1] >= fault_start]
    longest = max(waits, default=0.0)
    unanswered = sum(1 for s in sends if s[2] == 0)
    latencies = [s[1] - s[0] for s in ok if fault_start - window <= s[0] < fault_start]
    p50 = statistics.median(latencies) * 1000 if latencies else 0.0
    # Answered -> arrived at the mail server, before the fault: milliseconds while the worker
    # hears NOTIFY, its poll interval when it has gone deaf.
    to_mail = [first_times[s[3]] - s[1] for s in ok
               if fault_start - window <= s[0] < fault_start and s[3] in first_times]
    mail_p50 = statistics.median(to_mail) * 1000 if to_mail else 0.0

    # Probes the fault caught (started before it and still waiting count too) must all answer
    # within the bar; those that started and ended during it must say 503 (one still waiting when
    # the fault ends may rightly get through).
    during = [p for p in probes if p[0] <= fault_end and p[1] >= fault_start]
    probe_note = "-"
    broken = []
    if args.partition:
        slowest = max((p[1] - p[0] for p in during), default=0.0)
        not_503 = sum(1 for p in during if p[2] != 503 and p[0] >= fault_start and p[1] <= fault_end)
        probe_note = f"{slowest:.1f}s/{not_503}x!503" if not_503 else f"{slowest:.1f}s"
        if during and (slowest > args.bar_readyz or not_503):
            broken.append(f"readyz {probe_note} (bar: 503 within {args.bar_readyz:g} s)")
    if args.note:
        broken.append(args.note)
    if lost > args.bar_lost:
        broken.append(f"lost {lost}")
    if twice - at_kill > args.bar_twice:
        broken.append(f"twice {twice - at_kill}" + (f" (and {at_kill} at a kill)" if at_kill else ""))
    if recovery is None or recovery > args.bar_recovery:
        broken.append("no recovery" if recovery is None else f"recovery {recovery:.1f} s")
    if ratio < args.bar_throughput:
        broken.append(f"throughput {ratio:.2f}")
    if longest > args.bar_wait:
        broken.append(f"longest wait {longest:.1f} s")
    skipped = next((int(l.split()[1]) for l in open(args.load) if l.startswith("skipped ")), 0)
    fields = [args.name, str(len(ok)), str(lost), str(args.pending), f"{twice} ({at_kill} at kill)" if at_kill else str(twice),
              "never" if recovery is None else f"{recovery:.1f}",
              f"{before:.1f}", f"{after:.1f}", f"{ratio:.2f}", f"{longest:.1f}", probe_note,
              str(unanswered + sum(1 for s in sends if s[2] not in (0, 200))), str(skipped), f"{p50:.0f}", f"{mail_p50:.0f}",
              "ok" if not broken else "FAIL: " + ", ".join(broken)]
    print("\t".join(fields))
    return 1 if broken else 0


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "recovered":
        return recovered(sys.argv[2], sys.argv[3], float(sys.argv[4]), float(sys.argv[5]))
    if len(sys.argv) > 1 and sys.argv[1] == "missing":
        return missing(sys.argv[2], sys.argv[3])
    if len(sys.argv) > 1 and sys.argv[1] == "drained":
        return drained(sys.argv[2], sys.argv[3], float(sys.argv[4]))
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["row"])
    parser.add_argument("name")
    parser.add_argument("load")
    parser.add_argument("mail")
    parser.add_argument("fault_start", type=float)
    parser.add_argument("fault_end", type=float)
    parser.add_argument("recovered_at")
    parser.add_argument("window", type=float)
    parser.add_argument("--partition", action="store_true")
    parser.add_argument("--pending", type=int, default=0)
    parser.add_argument("--kills", help="a file of the times the worker was SIGKILLed, one a line")
    parser.add_argument("--note", help="a failure the harness saw itself (the worker exited)")
    parser.add_argument("--bar-lost", type=int, default=0)
    parser.add_argument("--bar-twice", type=int, default=0)
    parser.add_argument("--bar-recovery", type=float, default=10)
    parser.add_argument("--bar-throughput", type=float, default=0.95)
    parser.add_argument("--bar-wait", type=float, default=11)
    # 2 s, and 0.1 s for the loopback round trip on a loaded machine (Herald's own deadline is 2 s).
    parser.add_argument("--bar-readyz", type=float, default=2.1)
    return row(parser.parse_args())


if __name__ == "__main__":
    sys.exit(main())
