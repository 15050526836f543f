"""Prints line coverage per app from .coverage and fails under the threshold."""

import json
import subprocess
import sys
from collections import defaultdict

THRESHOLD = float(sys.argv[1]) if len(sys.argv) > 1 else 90.0

subprocess.run([sys.executable, "-m", "coverage", "json", "-q", "-o", "coverage.json"], check=True)
with open("coverage.json") as handle:
    files = json.load(handle)["files"]
apps: dict[str, list[int]] = defaultdict(lambda: [0, 0])
for path, data in files.items():
    app = path.split("/", 1)[0]
    apps[app][0] += data["summary"]["covered_lines"]
    apps[app][1] += data["summary"]["num_statements"]
covered = sum(c for c, _ in apps.values())
total = sum(t for _, t in apps.values())
print(f"{'app':<14}{'lines':>8}{'covered':>9}{'cover':>8}")
for app, (c, t) in sorted(apps.items()):
    print(f"{app:<14}{t:>8}{c:>9}{100 * c / max(t, 1):>7.1f}%")
percent = 100 * covered / max(total, 1)
print(f"{'total':<14}{total:>8}{covered:>9}{percent:>7.1f}%")
if percent < THRESHOLD:
    print(f"Coverage {percent:.1f}% is under {THRESHOLD:.0f}%.")
    sys.exit(1)
