#!/bin/bash
# rest_download.sh - peak RSS of a REST export whose document is small or
# large (the Tallis mock's "large-file" fault, TALLIS_LARGE_BYTES), to show
# that a downloaded document goes to a work file, not to memory: the peak
# should not follow the document's size. A benchmark: nothing is asserted.
#
#   bench/rest_download.sh              SIZES="8 256" bench/rest_download.sh
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
T=$(mktemp -d)
. "$top/bench/rest_lib.sh"
for mb in ${SIZES:-8 256}; do
	bytes=$((mb * 1000000))
	TALLIS_LARGE_BYTES=$bytes mock_start "large-file:1:/files/cert-1"
	sed "s/\"max_bytes\": 100000/\"max_bytes\": $((bytes + 1))/" \
		"$top/tests/mock/tallis.json" >"$T/tl.json"
	timed_export
	echo "document ${mb} MB: peak RSS $((kb / 1024)) MiB, ${secs} s, package $pkg_mb MB"
	mock_stop
done
