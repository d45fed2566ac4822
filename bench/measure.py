#!/usr/bin/python3
"""measure.py OUT CMD... - runs CMD (stdout to /dev/null, stderr kept in
OUT.err) and appends to OUT one line: wall seconds, CPU seconds (user +
system of CMD and everything it waited for) and peak RSS in KiB (of the
largest process: the kernel's ru_maxrss of the waited-for children)."""
import os
import sys
import time

out, cmd = sys.argv[1], sys.argv[2:]
t0 = time.monotonic()
pid = os.fork()
if pid == 0:
    fd = os.open(os.devnull, os.O_WRONLY)
    os.dup2(fd, 1)
    err = os.open(out + ".err", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(err, 2)
    try:
        os.execvp(cmd[0], cmd)
    finally:
        os._exit(127)
_, status, ru = os.wait4(pid, 0)
wall = time.monotonic() - t0
if os.waitstatus_to_exitcode(status) != 0:
    sys.stderr.write("measure: %s failed:\n" % " ".join(cmd))
    sys.stderr.write(open(out + ".err").read())
    sys.exit(1)
with open(out, "a") as f:
    f.write("%.4f %.4f %d\n" % (wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss))
