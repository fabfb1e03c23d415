#!/usr/bin/env python3
"""Generates profiles.jsonl and events.jsonl for the example journeys.

Deterministic (a fixed seed), so the committed files can be regenerated:
    python3 examples/journeys/generate.py examples/journeys
Larger inputs for tests and benchmarks: generate.py OUT PROFILES LINES [DAYS]
(with DAYS, the lines are spread over about that many days instead of
20-400 seconds apart).
"""
import json, random, sys
from datetime import datetime, timedelta, timezone

out = sys.argv[1] if len(sys.argv) > 1 else "."
n_profiles = int(sys.argv[2]) if len(sys.argv) > 2 else 600
n_lines = int(sys.argv[3]) if len(sys.argv) > 3 else 4000
# Steps average 210 s; DAYS scales them (the random draws stay the same).
scale = float(sys.argv[4]) * 86400 / (210 * n_lines) if len(sys.argv) > 4 else 1.0
rng = random.Random(42)
start = datetime(2024, 5, 1, 8, 0, tzinfo=timezone.utc)
profiles = [f"user{i:04d}@example.com" for i in range(n_profiles)]
countries = ["FR", "DE", "ES", "US", "GB", "IT"]
tiers = ["gold", "silver", "bronze", None]

with open(f"{out}/profiles.jsonl", "w") as f:
    for p in profiles:
        tier = rng.choice(tiers)
        data = {"ExperiencePlatform": {"Profile": {"person": {"name": {"firstName": p.split("@")[0].title()}},
                                                    "homeAddress": {"country": rng.choice(countries)}}}}
        if tier:
            data["ExperiencePlatform"]["Profile"]["loyalty"] = {"tier": tier, "points": rng.randrange(0, 5000)}
        audiences = {}
        if rng.random() < 0.15:
            audiences["lapsed customers"] = "realized"
        f.write(json.dumps({"profileId": p, "dataSources": data, "audiences": audiences}) + "\n")

def ts(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"

lines = []
t = start
for i in range(n_lines):
    t += timedelta(seconds=rng.randrange(20, 400) * scale)
    p = rng.choice(profiles)
    r = rng.random()
    if r < 0.30:
        lines.append({"time": ts(t), "event": "Subscribed", "payload": {"email": p, "consent": rng.random() < 0.9, "country": rng.choice(countries)}})
    elif r < 0.50:
        lines.append({"time": ts(t), "event": "EmailOpened", "payload": {"email": p, "campaign": "welcome"}})
    elif r < 0.78:
        items = [{"sku": f"SKU-{rng.randrange(100)}", "price": round(rng.uniform(5, 120), 2), "qty": rng.randrange(1, 4)} for _ in range(rng.randrange(1, 5))]
        lines.append({"time": ts(t), "event": "CartUpdated", "payload": {"email": p, "total": round(sum(x["price"] * x["qty"] for x in items), 2), "items": items}})
    elif r < 0.95:
        lines.append({"time": ts(t), "event": "OrderPlaced", "payload": {"email": p, "orderId": f"o{i}", "total": round(rng.uniform(10, 300), 2)}})
    else:
        lines.append({"time": ts(t), "profileId": p, "audiences": {"lapsed customers": rng.choice(["realized", "exited"])}})
with open(f"{out}/events.jsonl", "w") as f:
    for l in lines:
        f.write(json.dumps(l) + "\n")
