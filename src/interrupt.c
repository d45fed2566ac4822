/*
 * interrupt.c - the one piece of process-wide state portex has: a signal
 * can only talk to the rest of the program through a flag.
 */
#include "interrupt.h"

#include <signal.h>
#include <string.h>

static volatile sig_atomic_t caught;

static void on_signal(int sig)
{
	caught = 1;
	signal(sig, SIG_DFL); /* a second one is not asked twice */
}

void px_interrupt_install(void)
{
	struct sigaction sa;
	const int sigs[] = {SIGINT, SIGTERM, SIGHUP};

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
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
