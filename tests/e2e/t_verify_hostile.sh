#!/bin/bash
# End-to-end: hostile archives are refused cleanly, from their directory
# alone where possible, in bounded memory and time. Each run is measured
# with /usr/bin/time (peak RSS) under `timeout`.
. "$PX_TOP/tests/e2e/lib.sh"

HOSTILE="/usr/bin/python3 $PX_TOP/tests/tools/make_hostile.py"
# Peak RSS allowed, in KiB: far below what any of these archives would
# take if it were expanded (200 MiB to 6 GiB); sanitizer builds need more.
case "$PORTEX" in
*asan*) MAX_RSS=262144 ;;
*) MAX_RSS=65536 ;;
esac

# refused KIND MESSAGE: builds the archive, expects exit 1, MESSAGE on
# stderr, within 20 s and MAX_RSS, and nothing written beside it
refused() {
	mkdir "$T/in" "$T/run"
	$HOSTILE "$1" "$T/in/h.zip"
	cd "$T/run"
	expect_exit 1 timeout 20 /usr/bin/time -f %M -o "$T/rss" \
		"$PORTEX" verify "$T/in/h.zip"
	expect_err "$2"
	local rss
	rss=$(tail -n 1 "$T/rss")
	[ "$rss" -le "$MAX_RSS" ] || fail "peak RSS ${rss} KiB > ${MAX_RSS} KiB"
	[ "$(ls -A "$T/in")" = h.zip ] && [ -z "$(ls -A "$T/run")" ] ||
		fail "verify wrote files: $(ls -A "$T/in" "$T/run")"
}

test_entry_with_dotdot_is_refused() {
	refused traversal 'entry "../../evil.sh": unsafe name (".." in path)'
}

test_absolute_entry_name_is_refused() {
	refused absolute 'entry "/etc/evil.conf": unsafe name (absolute path)'
}

test_backslash_entry_name_is_refused() {
	refused backslash 'unsafe name (backslash in name)'
}

test_control_character_in_name_is_refused_and_not_echoed() {
	refused control 'unsafe name (control character in name)'
	! grep -q $'\x1b' "$T/stderr" || fail "escape sequence echoed to the terminal"
}

test_duplicated_names_are_refused() {
	refused duplicate 'two entries have the same name'
}

test_zip_bomb_by_ratio_is_refused_unread() {
	refused bomb 'data/bomb.json: expands 203842 bytes to 209715200, more than 1000:1 (a zip bomb?)'
}

test_zip_bomb_by_total_size_is_refused_unread() {
	refused bomb-total 'the archive expands to more than 4294967296 bytes (a zip bomb?)'
}

test_size_limit_can_be_lowered_or_raised() {
	mkdir "$T/in"
	$HOSTILE bomb-total "$T/in/h.zip"
	expect_exit 1 "$PORTEX" verify --max-size 1M "$T/in/h.zip"
	expect_err "the archive expands to more than 1048576 bytes"
	expect_exit 64 "$PORTEX" verify --max-size 12X "$T/in/h.zip"
	expect_err "--max-size '12X'"
}

test_entry_inflating_past_its_declared_size_is_stopped() {
	refused bomb-lying 'data/small.json: holds more or less data than its declared 100 bytes'
}

test_too_many_entries_are_refused_unread() {
	refused many 'h.zip: 100002 entries, more than 100000; not read'
}

test_a_lying_entry_count_is_refused_before_libzip_reads_the_directory() {
	# 1,000,000 entries behind a count of 10: libzip took 10-20 s, 244 MB
	refused lying-count 'h.zip: damaged ZIP directory (its end record counts 10 entries'
}

test_thousands_of_zero_entries_are_refused_by_the_overall_ratio() {
	# 3,900 x 1 MiB of zeros in ~4 MiB, each entry under 1000:1, unsigned:
	# every entry was inflated and hashed (28 s) before
	refused zeros-many 'more than 100:1 overall (a zip bomb?)'
}

test_not_a_zip_is_refused() {
	refused notzip 'h.zip: not a ZIP archive (no end of central directory)'
}

test_empty_and_truncated_files_are_refused() {
	: >"$T/empty.zip"
	expect_exit 1 "$PORTEX" verify "$T/empty.zip"
	expect_err "not a ZIP archive (0 bytes)"
	$HOSTILE traversal "$T/t.zip"
	head -c 200 "$T/t.zip" >"$T/cut.zip"
	expect_exit 1 "$PORTEX" verify "$T/cut.zip"
	expect_err "cut.zip: not a ZIP archive"
}

test_a_directory_is_not_a_package() {
	mkdir "$T/d.zip"
	expect_exit 74 "$PORTEX" verify "$T/d.zip"
	expect_err "d.zip: not a regular file"
}

run_tests
