#!/bin/bash
# rest_export.sh - peak RSS of a REST export whose asynchronous export file
# (NDJSON) is small or large (the Tallis mock's "large-export" fault,
# TALLIS_EXPORT_ROWS rows of 95 bytes), to show that the file goes to a
# work file and is read from there a buffer at a time: the peak should not
# follow the file's size. A benchmark: nothing is asserted.
#
#   bench/rest_export.sh              ROWS="50000 5000000" bench/rest_export.sh
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
T=$(mktemp -d)
. "$top/bench/rest_lib.sh"
for rows in ${ROWS:-50000 5000000}; do
	TALLIS_EXPORT_ROWS=$rows mock_start "large-export:-1:/v2/exports"
	# the connection endpoint alone, its file capped at 2 GB
	/usr/bin/python3 - "$top/tests/mock/tallis.json" "$T/tl.json" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
p["endpoints"] = [e for e in p["endpoints"] if e["entity"] == "connection"]
p["endpoints"][0]["export"]["max_bytes"] = 2000000000
json.dump(p, open(sys.argv[2], "w"))
PY
	timed_export
	echo "export file $((rows * 95 / 1000000)) MB ($rows rows): peak RSS $((kb / 1024)) MiB, ${secs} s, package $pkg_mb MB"
	mock_stop
done
