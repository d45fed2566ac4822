/*
 * webhook.c - one delivery thread, a list of pending deliveries ordered by
 * when they are next due, libcurl for the POST.
 */
#include "serve/webhook.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "serve/accesslog.h"

#define MAX_PENDING 10000
#define MAX_BACKOFF 300.0

struct delivery {
	struct delivery *next;
	long id;
	char *body;
	long attempt; /* attempts made */
	struct timespec due;
};

struct px_webhook {
	const char *url, *secret;
	long attempts;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	px_webhook_done_fn done;
	void *done_ctx;
	struct delivery *pending;
	long n_pending;
	long current; /* the id being posted, 0: none */
	int stopping;
	pthread_t thread;
};

void px_webhook_signature(const char *secret, long long timestamp,
			  const char *body, char *out)
{
	unsigned char mac[32] = {0};
	unsigned int n = sizeof(mac);
	size_t len = strlen(body) + 32;
	char *msg = malloc(len);

	strcpy(out, "v1=");
	if (!msg)
		return;
	len = (size_t)snprintf(msg, len, "%lld.%s", timestamp, body);
	HMAC(EVP_sha256(), secret, (int)strlen(secret),
	     (const unsigned char *)msg, len, mac, &n);
	free(msg);
	for (unsigned i = 0; i < n; i++)
		snprintf(out + 3 + 2 * i, 3, "%02x", mac[i]);
}

static size_t discard(char *p, size_t s, size_t n, void *ctx)
{
	(void)p;
	(void)ctx;
	return s * n;
}

/* One POST; the HTTP status, or 0 when it never got one. */
static long post(px_webhook *h, long id, const char *body)
{
	CURL *c = curl_easy_init();
	struct curl_slist *hdr = NULL;
	char ts[64], sig[96], sh[128], dh[64];
	long long now = (long long)time(NULL);
	long status = 0;

	if (!c)
		return 0;
	px_webhook_signature(h->secret, now, body, sig);
	snprintf(ts, sizeof(ts), "X-Portex-Timestamp: %lld", now);
	snprintf(sh, sizeof(sh), "X-Portex-Signature: %s", sig);
	snprintf(dh, sizeof(dh), "X-Portex-Delivery: %ld", id);
	hdr = curl_slist_append(hdr, "Content-Type: application/json");
	hdr = curl_slist_append(hdr, dh);
	hdr = curl_slist_append(hdr, ts);
	hdr = curl_slist_append(hdr, sh);
	curl_easy_setopt(c, CURLOPT_URL, h->url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(hdr);
	curl_easy_cleanup(c);
	return status;
}

static void insert(px_webhook *h, struct delivery *d)
{
	struct delivery **p = &h->pending;

	while (*p && ((*p)->due.tv_sec < d->due.tv_sec ||
		      ((*p)->due.tv_sec == d->due.tv_sec &&
		       (*p)->due.tv_nsec <= d->due.tv_nsec)))
		p = &(*p)->next;
	d->next = *p;
	*p = d;
}

/* 1 s, 2 s, 4 s ... capped, times a random 0.5-1.5 so that portals coming
 * back up are not hit by every retry at once. */
static void schedule_retry(struct delivery *d)
{
	unsigned char r = 128;
	double wait = 1.0;

	for (long i = 1; i < d->attempt && wait < MAX_BACKOFF; i++)
		wait *= 2;
	if (wait > MAX_BACKOFF)
		wait = MAX_BACKOFF;
	RAND_bytes(&r, 1);
	wait *= 0.5 + r / 255.0;
	clock_gettime(CLOCK_REALTIME, &d->due);
	d->due.tv_sec += (time_t)wait;
	d->due.tv_nsec += (long)((wait - (double)(long)wait) * 1e9);
	if (d->due.tv_nsec >= 1000000000L) {
		d->due.tv_sec++;
		d->due.tv_nsec -= 1000000000L;
	}
}

static void free_delivery(struct delivery *d)
{
	free(d->body);
	free(d);
}

/* The delivery is over: told, then forgotten. */
static void ended(px_webhook *h, struct delivery *d, int ok, long status)
{
	if (h->done)
		h->done(h->done_ctx, d->id, ok, status, d->attempt);
	pthread_mutex_lock(&h->mu);
	h->current = 0;
	pthread_mutex_unlock(&h->mu);
	free_delivery(d);
}

static void deliver(px_webhook *h, struct delivery *d)
{
	long status = post(h, d->id, d->body);

	d->attempt++;
	if (status >= 200 && status < 300) {
		json_t *f = json_pack("{s:I, s:i, s:I}", "id",
				      (json_int_t)d->id, "status", (int)status,
				      "attempt", (json_int_t)d->attempt);
		px_log_event("info", "webhook.delivered", f);
		json_decref(f);
		ended(h, d, 1, status);
		return;
	}
	json_t *f =
	    json_pack("{s:I, s:i, s:I, s:I}", "id", (json_int_t)d->id, "status",
		      (int)status, "attempt", (json_int_t)d->attempt, "of",
		      (json_int_t)h->attempts);
	if (d->attempt >= h->attempts) {
		px_log_event("error", "webhook.given_up", f);
		json_decref(f);
		ended(h, d, 0, status);
		return;
	}
	px_log_event("warning", "webhook.retry", f);
	json_decref(f);
	schedule_retry(d);
	pthread_mutex_lock(&h->mu);
	insert(h, d);
	h->n_pending++;
	h->current = 0;
	pthread_mutex_unlock(&h->mu);
}

static void *run(void *arg)
{
	px_webhook *h = arg;
	struct timespec now;

	pthread_mutex_lock(&h->mu);
	while (!h->stopping) {
		struct delivery *d = h->pending;

		if (!d) {
			pthread_cond_wait(&h->cv, &h->mu);
			continue;
		}
		clock_gettime(CLOCK_REALTIME, &now);
		if (d->due.tv_sec > now.tv_sec ||
		    (d->due.tv_sec == now.tv_sec &&
		     d->due.tv_nsec > now.tv_nsec)) {
			pthread_cond_timedwait(&h->cv, &h->mu, &d->due);
			continue;
		}
		h->pending = d->next;
		h->n_pending--;
		h->current = d->id;
		pthread_mutex_unlock(&h->mu);
		deliver(h, d);
		pthread_mutex_lock(&h->mu);
	}
	pthread_mutex_unlock(&h->mu);
	return NULL;
}

px_webhook *px_webhook_start(const char *url, const char *secret, long attempts,
			     px_webhook_done_fn done, void *done_ctx)
{
	px_webhook *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	h->done = done;
	h->done_ctx = done_ctx;
	h->url = url;
	h->secret = secret;
	h->attempts = attempts;
	pthread_mutex_init(&h->mu, NULL);
	pthread_cond_init(&h->cv, NULL);
	if (pthread_create(&h->thread, NULL, run, h)) {
		pthread_cond_destroy(&h->cv);
		pthread_mutex_destroy(&h->mu);
		free(h);
		return NULL;
	}
	return h;
}

/* 1 when delivery id is pending or being posted. Under h->mu. */
static int known(const px_webhook *h, long id)
{
	if (h->current == id)
		return 1;
	for (const struct delivery *d = h->pending; d; d = d->next)
		if (d->id == id)
			return 1;
	return 0;
}

int px_webhook_send(px_webhook *h, long id, const json_t *body)
{
	struct delivery *d;

	if (!h)
		return 0;
	pthread_mutex_lock(&h->mu);
	if (known(h, id)) {
		pthread_mutex_unlock(&h->mu);
		return 0;
	}
	pthread_mutex_unlock(&h->mu);
	d = calloc(1, sizeof(*d));
	if (!d ||
	    !(d->body = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS))) {
		free(d);
		px_log_event("error", "webhook.dropped", NULL);
		return -1;
	}
	d->id = id;
	clock_gettime(CLOCK_REALTIME, &d->due);
	pthread_mutex_lock(&h->mu);
	if (h->n_pending >= MAX_PENDING || known(h, id)) {
		int full = h->n_pending >= MAX_PENDING;

		pthread_mutex_unlock(&h->mu);
		free_delivery(d);
		if (full)
			px_log_event("error", "webhook.dropped", NULL);
		return full ? -1 : 0;
	}
	insert(h, d);
	h->n_pending++;
	pthread_cond_signal(&h->cv);
	pthread_mutex_unlock(&h->mu);
	return 1;
}

void px_webhook_stop(px_webhook *h)
{
	struct delivery *d;
	long dropped = 0;

	if (!h)
		return;
	pthread_mutex_lock(&h->mu);
	h->stopping = 1;
	pthread_cond_broadcast(&h->cv);
	pthread_mutex_unlock(&h->mu);
	pthread_join(h->thread, NULL);
	while ((d = h->pending)) {
		h->pending = d->next;
		free_delivery(d);
		dropped++;
	}
	if (dropped) {
		json_t *f = json_pack("{s:I}", "pending", (json_int_t)dropped);
		px_log_event("warning", "webhook.abandoned", f);
		json_decref(f);
	}
	pthread_cond_destroy(&h->cv);
	pthread_mutex_destroy(&h->mu);
	free(h);
}
