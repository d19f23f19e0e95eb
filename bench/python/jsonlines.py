"""The request loop of the benchmarks' Python workers (bench/harness.ts Worker):
one JSON request per line on stdin, one JSON answer per line on stdout."""
import json
import sys


def serve(handle):
    for line in sys.stdin:
        try:
            reply = handle(json.loads(line))
        except Exception as e:  # reported to the Node side, which stops the run
            reply = {"error": "%s: %s" % (type(e).__name__, e)}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()
