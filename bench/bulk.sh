#!/bin/bash
# bulk.sh - `portex bulk` throughput: N generated learners of R records
# (SQLite source, signed packages), --jobs 1 and 2; prints subjects/s,
# CPU per subject and peak RSS (the process; workers are threads of it),
# and the machine's load average, since a shared machine skews wall time.
#   bench/bulk.sh [N=1000] [R=300]      PORTEX=build/portex by default
set -eu
N=${1:-1000}
R=${2:-300}
TOP=$(cd "$(dirname "$0")/.." && pwd)
PORTEX=${PORTEX:-$TOP/build/portex}
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
mkdir -p "$W/keys"
(cd "$W" && /usr/bin/python3 "$TOP/bench/gen_subjects.py" --subjects "$N" \
	--records "$R" --sqlite lms.db --csv subjects.csv --config bulk.json --db lms.db)
head -c 32 /dev/urandom >"$W/bulk.salt"
"$PORTEX" keygen --key "$W/keys/portex.key" --cert "$W/keys/portex.crt" >/dev/null
echo "subjects=$N records/subject=$R load: $(cut -d' ' -f1-3 /proc/loadavg) cores: $(nproc)"
for jobs in 1 2; do
	rm -rf "$W/out" && mkdir "$W/out"
	/usr/bin/time -f "%e %U %S %M" -o "$W/time" \
		"$PORTEX" bulk --config "$W/bulk.json" --subjects "$W/subjects.csv" \
		--out-dir "$W/out" --jobs "$jobs" --json >"$W/sum"
	read -r wall user sys rss <"$W/time"
	/usr/bin/python3 - "$jobs" "$N" "$wall" "$user" "$sys" "$rss" "$W/sum" <<'PY'
import json, sys
jobs, n, wall, user, sys_, rss = sys.argv[1:7]
s = json.load(open(sys.argv[7]))
n = int(n); wall = float(wall); cpu = float(user) + float(sys_)
assert s["exported"] == n, s
print("--jobs %s: %.0f subjects/s wall (%.1f s), %.1f ms CPU/subject, "
      "CPU-bound ceiling %.0f subjects/s/core, peak RSS %d MB"
      % (jobs, n / wall, wall, 1000 * cpu / n, n / cpu, int(rss) // 1024))
PY
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
