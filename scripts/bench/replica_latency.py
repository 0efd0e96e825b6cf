#!/usr/bin/env python3
"""Publish -> visible-on-replica latency (scripts/bench-mirror.sh): publishes each body in BODIES_DIR (sorted) to
the origin, one at a time, and polls the replica's record route (every 2 ms) until it answers 200. Prints
`p50 p99 max mean` in milliseconds, measured from the start of the publish request.

    replica_latency.py ORIGIN_API REPLICA_API TOKEN BODIES_DIR
"""
import json
import os
import statistics
import sys
import time
import urllib.error
import urllib.request


def main() -> None:
    origin, replica, token, bodies = sys.argv[1:5]
    latencies = []
    for name in sorted(os.listdir(bodies)):
        with open(os.path.join(bodies, name), "rb") as f:
            body = f.read()
        request = json.loads(body)
        path = f"/packages/{request['package_id']}/{request['package_version']}"
        publish = urllib.request.Request(
            origin + "/publications",
            data=body,
            method="POST",
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        )
        start = time.monotonic()
        with urllib.request.urlopen(publish) as answer:
            if answer.status != 201:
                sys.exit(f"publish {path}: HTTP {answer.status}")
        deadline = start + 120
        while True:
            try:
                with urllib.request.urlopen(replica + path) as answer:
                    if answer.status == 200:
                        break
            except urllib.error.HTTPError as e:
                if e.code != 404:
                    sys.exit(f"replica {path}: HTTP {e.code}")
            if time.monotonic() > deadline:
                sys.exit(f"replica {path}: not visible after 120 s")
            time.sleep(0.002)
        latencies.append((time.monotonic() - start) * 1000)
    latencies.sort()
    p = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))]
    print(f"{p(0.50):.1f} {p(0.99):.1f} {latencies[-1]:.1f} {statistics.mean(latencies):.1f}")


if __name__ == "__main__":
    main()
