/*
 * interrupt.c - the one piece of process-wide state portex has: a signal
 * can only talk to the rest of the program through a counter.
 */
#include "interrupt.h"

#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Signals this close to the last counted one are the same request:
 * timeout(1) sends SIGTERM to portex and then to its process group, a
 * terminal sends Ctrl-C to the whole job. */
#define BURST_NS 1000000000LL

static volatile sig_atomic_t requests; /* requests counted so far */
static volatile sig_atomic_t drain;    /* set before the handler is */
static struct timespec last;	       /* written before requests is raised */

static long long since_last_ns(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now); /* async-signal-safe */
	return (now.tv_sec - last.tv_sec) * 1000000000LL +
	       (now.tv_nsec - last.tv_nsec);
}

static void on_signal(int sig)
{
	(void)sig;
	if (requests && since_last_ns() <= BURST_NS)
		return;
	/* The request past the last one the mode knows: stop now. Working
	 * files are unlinked (package/workfile.h), so ending here leaves
	 * nothing. */
	if (requests >= (drain ? 2 : 1))
		_exit(PX_EXIT_INTERRUPTED);
	clock_gettime(CLOCK_MONOTONIC, &last);
	requests = requests + 1;
}

static void install(int drain_mode)
{
	struct sigaction sa;
	const int sigs[] = {SIGINT, SIGTERM, SIGHUP};

	drain = drain_mode;
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

void px_interrupt_install(void)
{
	install(0);
}

void px_interrupt_install_drain(void)
{
	install(1);
}

int px_interrupted(void)
{
	return requests >= (drain ? 2 : 1);
}

int px_stop_requested(void)
{
	return requests != 0;
}

int px_interrupt_check(px_error *err, const char *what)
{
	if (!px_interrupted())
		return 0;
	return px_error_set(err, PX_EXIT_INTERRUPTED, "interrupted: %s", what);
}
