/*
 * interrupt.c - the one piece of process-wide state portex has: a signal
 * can only talk to the rest of the program through a flag.
 */
#include "interrupt.h"

#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Signals this close to the first are the same request: timeout(1)
 * sends SIGTERM to portex and then to its process group, a terminal
 * sends Ctrl-C to the whole job. */
#define BURST_NS 1000000000LL

static volatile sig_atomic_t caught;
static struct timespec first; /* written once, before caught is set */

static long long since_first_ns(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now); /* async-signal-safe */
	return (now.tv_sec - first.tv_sec) * 1000000000LL +
	       (now.tv_nsec - first.tv_nsec);
}

static void on_signal(int sig)
{
	(void)sig;
	if (!caught) {
		clock_gettime(CLOCK_MONOTONIC, &first);
		caught = 1;
	} else if (since_first_ns() > BURST_NS) {
		/* Asked twice: stop now. Working files are unlinked
		 * (package/workfile.h), so ending here leaves nothing. */
		_exit(PX_EXIT_INTERRUPTED);
	}
}

void px_interrupt_install(void)
{
	struct sigaction sa;
	const int sigs[] = {SIGINT, SIGTERM, SIGHUP};

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigfillset(&sa.sa_mask); /* one handler at a time */
	sa.sa_flags = SA_RESTART;
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		struct sigaction old;
		/* A signal ignored by whoever started us (nohup, a
		 * background job) stays ignored. */
		if (sigaction(sigs[i], NULL, &old) == 0 &&
		    old.sa_handler == SIG_IGN)
			continue;
		sigaction(sigs[i], &sa, NULL);
	}
}

int px_interrupted(void)
{
	return caught != 0;
}

int px_interrupt_check(px_error *err, const char *what)
{
	if (!caught)
		return 0;
	return px_error_set(err, PX_EXIT_INTERRUPTED, "interrupted: %s", what);
}
