/*
 * subjects.h - where a bulk run's subjects come from: a file (CSV with a
 * header of identity keys, or NDJSON objects) or a cohort of the config
 * (a named query on a source, :since and :until bound as parameters).
 *
 * Each subject is an object {"keys": {identity keys, strings},
 * "retain_from": "YYYY-MM-DD" (optional)}: a column or member named
 * "retain_from" is not an identity key but the date the retention window
 * starts from (the licence end).
 *
 * Config:
 *   "cohorts": {"NAME": {"source": "lms",
 *                        "query": "SELECT email, ended AS retain_from
 *                                  FROM licences WHERE ended >= :since
 *                                  AND ended < :until",
 *                        "retention_months": 3}}
 */
#ifndef PX_SUBJECTS_H
#define PX_SUBJECTS_H

#include <jansson.h>

#include "portex/config.h"
#include "portex/deadline.h"
#include "portex/error.h"

#define PX_RETAIN_FROM "retain_from"

/* Reads a subjects file: ".csv" (or a first line without "{") as CSV,
 * else NDJSON. *out: new array. Errors name the file, line and column. */
int px_subjects_read(const char *path, json_t **out, px_error *err);

/* Runs cohort `name` of cfg for [since, until]. *out: new array. */
int px_cohort_subjects(const px_config *cfg, const char *name,
		       const char *since, const char *until, json_t **out,
		       px_error *err);

/* The retention months of a cohort (config "retention_months", default
 * 3), or 3 when name is NULL. */
int px_cohort_months(const px_config *cfg, const char *name);

/* retain_from + months, counted as Regulation 1182/71 counts periods
 * (deadline.h), onto a working day of cal. Writes "YYYY-MM-DD". */
int px_retrievable_until(const px_calendar *cal, const char *retain_from,
			 int months, char out[11], px_error *err);

#endif
