/*
 * interrupt.h - Ctrl-C and kill during a long export.
 *
 * The first SIGINT, SIGTERM or SIGHUP only raises a flag; the work checks
 * it between records, in every wait on a server and before the package is
 * published, and unwinds through the ordinary error path: no package
 * appears. More signals within a second of the first are the same request
 * (timeout(1) sends SIGTERM twice); one later than that ends the process
 * at once with PX_EXIT_INTERRUPTED, which leaves nothing either, as
 * working files have no name until they are published.
 *
 * Drain mode (bulk, worker: many exports in one process) adds a step in
 * front: the first request only asks to stop (px_stop_requested()) - no
 * new job is started, the exports in flight finish and are recorded; a
 * later one interrupts them as above (px_interrupted()), and one after
 * that ends the process.
 */
#ifndef PX_INTERRUPT_H
#define PX_INTERRUPT_H

#include "portex/error.h"

/* The exit status of a run stopped by a signal, as shells report it. */
#define PX_EXIT_INTERRUPTED 130

void px_interrupt_install(void);
/* The same, in drain mode. */
void px_interrupt_install_drain(void);

/* 1 once the work in flight must stop: the first signal, or in drain
 * mode the second. */
int px_interrupted(void);

/* 1 once any signal arrived: start nothing new. */
int px_stop_requested(void);

/* When interrupted: sets err ("interrupted: <what>") and returns -1;
 * otherwise returns 0. */
int px_interrupt_check(px_error *err, const char *what);

#endif
