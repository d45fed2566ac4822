#!/bin/bash
# bulk.sh - `portex bulk` throughput: N generated learners of R records
# (signed packages), for each --jobs of $JOBS; prints subjects/s, CPU per
# subject and peak RSS (the process; workers are threads of it), and the
# machine's load average, since a shared machine skews wall time.
#   bench/bulk.sh [N=1000] [R=300]      PORTEX=build/portex by default
#   KIND=pg      the source is PostgreSQL: a throwaway cluster
#                (tests/pg/cluster.sh), loaded with the same learners
#   JOBS="1 2"   the --jobs values to run (default "1 2")
#   RSS_LOG=F    also sample the process's VmRSS every second into F
#                ("seconds packages_done rss_kB" lines) and print RSS at
#                each tenth of the run: flat or not
set -eu
N=${1:-1000}
R=${2:-300}
KIND=${KIND:-sqlite}
JOBS=${JOBS:-1 2}
TOP=$(cd "$(dirname "$0")/.." && pwd)
PORTEX=${PORTEX:-$TOP/build/portex}
W=$(mktemp -d)
cleanup() {
	if [ -n "${PX_PG_DIR:-}" ]; then "$TOP/tests/pg/cluster.sh" stop; fi
	rm -rf "$W"
}
trap cleanup EXIT
mkdir -p "$W/keys"
cd "$W"
/usr/bin/python3 "$TOP/bench/gen_subjects.py" --subjects "$N" --csv subjects.csv
if [ "$KIND" = pg ]; then
	eval "$("$TOP/tests/pg/cluster.sh" start)"
	createdb bulk
	/usr/bin/python3 "$TOP/bench/gen_subjects.py" --subjects "$N" \
		--records "$R" --pg | psql -q -v ON_ERROR_STOP=1 bulk >/dev/null
	psql -q bulk -c "ANALYZE" >/dev/null
	/usr/bin/python3 "$TOP/bench/gen_subjects.py" --config bulk.json \
		--pg-dsn "host=$PGHOST port=$PGPORT user=$PGUSER dbname=bulk"
else
	/usr/bin/python3 "$TOP/bench/gen_subjects.py" --subjects "$N" \
		--records "$R" --sqlite lms.db
	/usr/bin/python3 "$TOP/bench/gen_subjects.py" --config bulk.json --db lms.db
fi
head -c 32 /dev/urandom >"$W/bulk.salt"
"$PORTEX" keygen --key "$W/keys/portex.key" --cert "$W/keys/portex.crt" >/dev/null
echo "source=$KIND subjects=$N records/subject=$R load: $(cut -d' ' -f1-3 /proc/loadavg) cores: $(nproc)"

# server_cpu: CPU seconds of the PostgreSQL server and its reaped
# backends (postmaster's utime+stime+cutime+cstime), 0 for SQLite.
server_cpu() {
	local pid
	if [ "$KIND" != pg ]; then echo 0; return; fi
	pid=$(head -n 1 "$PX_PG_DIR/data/postmaster.pid")
	awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15 + $16 + $17) / hz}' \
		"/proc/$pid/stat"
}

# sample PID LOG: VmRSS of PID every second until it exits.
sample() {
	local t=0 rss done
	while kill -0 "$1" 2>/dev/null; do
		rss=$(awk '/^VmRSS/ {print $2}' "/proc/$1/status" 2>/dev/null || true)
		done=$(wc -l <"$W/out/index.ndjson" 2>/dev/null || echo 0)
		[ -n "$rss" ] && echo "$t $done $rss" >>"$2"
		sleep 1
		t=$((t + 1))
	done
}

for jobs in $JOBS; do
	rm -rf "$W/out" && mkdir "$W/out"
	srv0=$(server_cpu)
	/usr/bin/time -f "%e %U %S %M" -o "$W/time" \
		"$PORTEX" bulk --config "$W/bulk.json" --subjects "$W/subjects.csv" \
		--out-dir "$W/out" --jobs "$jobs" --json >"$W/sum" &
	pid=$!
	if [ -n "${RSS_LOG:-}" ]; then
		# the portex process under time(1)
		sleep 0.2
		child=$(pgrep -P "$pid" -x portex || true)
		: >"$RSS_LOG.jobs$jobs"
		[ -n "$child" ] && sample "$child" "$RSS_LOG.jobs$jobs" &
	fi
	wait "$pid"
	wait
	read -r wall user sys rss <"$W/time"
	srv=$(echo "$(server_cpu) $srv0" | awk '{print $1 - $2}')
	/usr/bin/python3 - "$jobs" "$N" "$wall" "$user" "$sys" "$rss" "$W/sum" \
		"$srv" "${RSS_LOG:+$RSS_LOG.jobs$jobs}" <<'PY'
import json, sys
jobs, n, wall, user, sys_, rss = sys.argv[1:7]
s = json.load(open(sys.argv[7]))
srv = float(sys.argv[8])
n = int(n); wall = float(wall); cpu = float(user) + float(sys_)
assert s["exported"] == n, s
print("--jobs %s: %.0f subjects/s wall (%.1f s), %.2f ms CPU/subject, "
      "CPU-bound ceiling %.0f subjects/s/core, peak RSS %d MB"
      % (jobs, n / wall, wall, 1000 * cpu / n, n / cpu, int(rss) // 1024))
if srv:
    print("  PostgreSQL server: %.2f ms CPU/subject more; both together: "
          "ceiling %.0f subjects/s/core" % (1000 * srv / n, n / (cpu + srv)))
if len(sys.argv) > 9 and sys.argv[9]:
    rows = [tuple(map(int, l.split())) for l in open(sys.argv[9]) if l.strip()]
    out = []
    for tenth in range(1, 11):
        want = n * tenth // 10
        at = [r for r in rows if r[1] <= want]
        if at:
            out.append("%d%%:%.1f" % (10 * tenth, max(r[2] for r in at) / 1024))
    print("  RSS MB by progress (max so far): " + " ".join(out))
    print("  samples: %d, RSS min %.1f MB max %.1f MB after the first tenth"
          % (len(rows),
             min(r[2] for r in rows if r[1] >= n // 10) / 1024,
             max(r[2] for r in rows if r[1] >= n // 10) / 1024))
PY
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
