#!/usr/bin/python3
"""measure.py OUT CMD... - runs CMD (stdout to /dev/null, stderr kept in
OUT.err) and appends to OUT one line: wall seconds, CPU seconds (user +
system of CMD and everything it waited for) and peak RSS in KiB (of the
largest process: the kernel's ru_maxrss of the waited-for children)."""
import os
import shutil
import sys
import time

out, cmd = sys.argv[1], sys.argv[2:]
path = shutil.which(cmd[0]) or cmd[0]
t0 = time.monotonic()
# posix_spawn, not fork + exec: a forked child of this Python runs (and
# faults in the pages it shares with us) before it execs, and the kernel
# counts that as CMD's CPU time - ~4 ms of a 30 ms export.
pid = os.posix_spawn(path, cmd, os.environ, file_actions=[
    (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
    (os.POSIX_SPAWN_OPEN, 2, out + ".err",
     os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644),
])
_, status, ru = os.wait4(pid, 0)
wall = time.monotonic() - t0
if os.waitstatus_to_exitcode(status) != 0:
    sys.stderr.write("measure: %s failed:\n" % " ".join(cmd))
    sys.stderr.write(open(out + ".err").read())
    sys.exit(1)
with open(out, "a") as f:
    f.write("%.4f %.4f %d\n" % (wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss))
