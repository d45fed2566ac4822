/*
 * delivery.h - how a delivery that portex makes itself (email, xAPI
 * transmission) is recorded in the ledger: each step is one audited change
 * of the request's "delivery" object, and only the last ("sent") makes the
 * request delivered.
 */
#ifndef PX_DELIVERY_H
#define PX_DELIVERY_H

#include <stdint.h>

#include "portex/error.h"
#include "portex/ledger.h"

/* Steps and their audit actions: "sending" request.delivery-started,
 * "progress" request.delivery-progress (part of it confirmed), "failed"
 * request.delivery-failed, "sent" request.deliver (exported -> delivered
 * with `method`). Every step but "sent" checks, inside the transaction,
 * that the request can still be delivered. Sets delivery's "state" to
 * step and stores it (borrowed) as the request's "delivery". *out (may be
 * NULL): new reference to the request as stored. */
int px_delivery_record(px_ledger *l, long id, const char *actor,
		       const char *method, const char *step, json_t *delivery,
		       json_t **out, px_error *err);

/* 0 when req (borrowed) could move to delivered now; else -1 with err. */
int px_delivery_possible(const json_t *req, px_error *err);

struct px_package_facts {
	char sha256[65];
	char size[24];
	uint64_t bytes;
	const char *path, *name; /* borrowed from the request / path */
};

/* The package at `path` (NULL: the request's package_path) is the one the
 * ledger recorded for req: same SHA-256. PX_EXIT_DATA otherwise. */
int px_delivery_package(const json_t *req, const char *path,
			struct px_package_facts *p, px_error *err);

#endif
