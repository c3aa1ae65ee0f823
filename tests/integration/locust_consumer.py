"""What Locust users' CI scripts do with the CSV files, written the way they
are usually written: int() on counts and percentiles, float() on averages
and rates, the Aggregated row found by its Name, a rate from the history as
Δcount/Δtime, rows keyed by timestamp, an SLA gate on int(row["95%"]) and
the common v.isdigit() guard. Any exception fails the test, as it fails
those scripts. Usage: locust_consumer.py PREFIX"""
import csv
import sys

prefix = sys.argv[1]
PCTS = ["50%", "66%", "75%", "80%", "90%", "95%", "98%", "99%", "99.9%", "99.99%", "100%"]

with open(f"{prefix}_stats.csv", newline="") as f:
    stats = list(csv.DictReader(f))
agg = next(r for r in stats if r["Name"] == "Aggregated")
requests = int(agg["Request Count"])
failures = int(agg["Failure Count"])
p95 = int(agg["95%"])  # the usual SLA gate
median = int(agg["Median Response Time"])
avg = float(agg["Average Response Time"])
rps = float(agg["Requests/s"])
fail_rate = failures / requests
print(f"aggregated: {requests} requests, {fail_rate:.2%} failed, p95 {p95} ms, median {median} ms, "
      f"avg {avg} ms, {rps} req/s; SLA p95 < 500 ms: {'ok' if p95 < 500 else 'broken'}")
for r in stats:
    int(r["Request Count"]), int(r["Failure Count"])
    float(r["Average Response Time"]), float(r["Min Response Time"]), float(r["Max Response Time"])
    float(r["Average Content Size"]), float(r["Requests/s"]), float(r["Failures/s"])
    int(r["Median Response Time"])
    for c in PCTS:
        v = r[c]
        if int(r["Request Count"]) == 0:
            assert v == "N/A", f"{r['Name']}: {c} is {v!r} for an entry without requests"
        else:
            assert v.isdigit(), f"{r['Name']}: {c} is {v!r}: a v.isdigit() guard would call it N/A"
            int(v)

with open(f"{prefix}_stats_history.csv", newline="") as f:
    history = [r for r in csv.DictReader(f) if r["Name"] == "Aggregated"]
by_time = {int(r["Timestamp"]): r for r in history}
assert len(by_time) == len(history), "two history rows with the same timestamp"
rates = []
for a, b in zip(history, history[1:]):
    dt = int(b["Timestamp"]) - int(a["Timestamp"])
    rates.append((int(b["Total Request Count"]) - int(a["Total Request Count"])) / dt)
    int(b["User Count"]), float(b["Requests/s"]), float(b["Failures/s"])
    float(b["Total Average Response Time"]), int(b["Total Median Response Time"])
    for c in PCTS:
        if b[c] != "N/A":
            int(b[c])
print(f"history: {len(history)} rows, peak rate {max(rates):.0f} req/s by Δcount/Δt")
assert int(history[-1]["Total Request Count"]) == requests, "the last history row misses requests"

with open(f"{prefix}_failures.csv", newline="") as f:
    errors = sum(int(r["Occurrences"]) for r in csv.DictReader(f))
print(f"failures.csv: {errors} occurrences")
assert errors == failures, f"failures.csv holds {errors} occurrences, stats.csv {failures} failures"
