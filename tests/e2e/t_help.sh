#!/bin/bash
# t_help.sh - -h and --help on every command and subcommand: exit 0, the
# usage on stdout, nothing on stderr. The commands are read from the
# dispatch table (src/cli/main.c) and from the man page (its sections and
# synopsis), the request subcommands from cmd_request.c's table, so a new
# command or subcommand without help fails here.
. "$PX_TOP/tests/e2e/lib.sh"

MAN=$PX_TOP/docs/portex.1

# every "CMD" and "CMD SUB" to try, one per line
commands() {
	/usr/bin/python3 - "$PX_TOP" <<'PY'
import re, sys
top = sys.argv[1]
main = open(top + "/src/cli/main.c").read()
man = open(top + "/docs/portex.1").read().replace("\\-", "-")
req = open(top + "/src/cli/cmd_request.c").read()
cmds = set(re.findall(r'\{"([a-z]+)", cmd_[a-z]+,', main))
assert len(cmds) >= 14, cmds
cmds |= set(re.findall(r'^\.SS "portex ([a-z]+)"', man, re.M))
out = set(cmds)
lines = man.splitlines()
for i, l in enumerate(lines):
    if l != ".SY portex":
        continue
    m = re.match(r"^\.B ([a-z]+)(?: ([a-z]+))?$", lines[i + 1])
    if not m:
        continue
    cmds.add(m.group(1))
    out.add(m.group(1))
    if m.group(2):
        out.add(m.group(1) + " " + m.group(2))
    m2 = re.match(r"^\.BR ([a-z]+(?: \| [a-z]+)+)$", lines[i + 2])
    if m2:
        subs = m2.group(1).split(" | ")
        # the list goes on: ".RB | more | words"
        m3 = re.match(r"^\.RB \|((?: [a-z]+ \|)* [a-z]+)$", lines[i + 3])
        if m3:
            subs += m3.group(1).replace("|", " ").split()
        for sub in subs:
            out.add(m.group(1) + " " + sub)
table = req[req.index("} subs[] = {"):]
table = table[:table.index("};")]
for sub in re.findall(r'\{"([a-z]+)",', table):
    out.add("request " + sub)
missing = cmds - set(re.findall(r'\{"([a-z]+)", cmd_[a-z]+,', main))
assert not missing, "in the man page, not in the dispatch table: %s" % missing
print("\n".join(sorted(out)))
PY
}

test_every_command_and_subcommand_answers_h_and_help() {
	commands >"$T/cmds" || fail "cannot read the commands"
	[ "$(wc -l <"$T/cmds")" -ge 25 ] || fail "only $(wc -l <"$T/cmds") commands: $(cat "$T/cmds")"
	grep -qx "request remind" "$T/cmds" || fail "request remind not found"
	grep -qx "sources check" "$T/cmds" || fail "sources check not found"
	while read -r cmd; do
		first=${cmd%% *}
		for h in -h --help; do
			# shellcheck disable=SC2086 # CMD SUB: two words
			expect_exit 0 "$PORTEX" $cmd $h
			head -1 "$T/stdout" | grep -q "^usage: portex $first" ||
				fail "portex $cmd $h: no usage on stdout: $(head -c 300 "$T/stdout")"
			[ ! -s "$T/stderr" ] || fail "portex $cmd $h: stderr: $(cat "$T/stderr")"
		done
	done <"$T/cmds"
}

test_top_level_help() {
	for h in -h --help help; do
		expect_exit 0 "$PORTEX" $h
		expect_out "usage: portex <command>"
	done
}

run_tests
