/*
 * interrupt.h - Ctrl-C and kill during a long export.
 *
 * The first SIGINT, SIGTERM or SIGHUP only raises a flag; the work checks
 * it between records and before the package is published, and unwinds
 * through the ordinary error path, so temporary files are removed and no
 * package appears. A second signal ends the process at once (the default
 * action is restored by the first).
 */
#ifndef PX_INTERRUPT_H
#define PX_INTERRUPT_H

#include "portex/error.h"

/* The exit status of a run stopped by a signal, as shells report it. */
#define PX_EXIT_INTERRUPTED 130

void px_interrupt_install(void);

/* 1 once a signal arrived. */
int px_interrupted(void);

/* When interrupted: sets err ("interrupted: <what>") and returns -1;
 * otherwise returns 0. */
int px_interrupt_check(px_error *err, const char *what);

#endif
