/*
 * verify.h - checks a package (issue 5): the ZIP is read in place, never
 * extracted; hostile archives are refused from their directory alone,
 * before any entry is decompressed.
 */
#ifndef PORTEX_VERIFY_H
#define PORTEX_VERIFY_H

#include <stddef.h>
#include <stdint.h>

#include "portex/error.h"

/* Limits enforced before any entry is read. */
#define PX_VERIFY_MAX_ENTRIES 100000
#define PX_VERIFY_MAX_TOTAL   (4ULL << 30) /* uncompressed bytes, all */
#define PX_VERIFY_MAX_RATIO   1000	   /* deflate's best is ~1032:1 */

/* Problem lines kept in a result; past it problems are only counted. */
#define PX_VERIFY_MAX_PROBLEMS 200

typedef struct px_verify_opts {
	const char *path;    /* the package */
	const char *ca_path; /* PEM trust anchors, or NULL: no chain check */
	const char *tsa_ca_path; /* PEM trust anchors of time-stamp
				    authorities, or NULL */
	const char *password;	 /* for AES-encrypted entries, or NULL */
	uint64_t max_entries;	 /* 0: PX_VERIFY_MAX_ENTRIES */
	uint64_t max_total;	 /* 0: PX_VERIFY_MAX_TOTAL */
} px_verify_opts;

typedef struct px_verify_result {
	int valid;	 /* 1: no problem found */
	char **problems; /* one line each: "data/x.json: ..."; at most
			    PX_VERIFY_MAX_PROBLEMS of n_problems */
	size_t n_problems;
	int is_signed;	   /* a signature001.p7s was found */
	int signature_ok;  /* the CMS signature verified */
	int chain_checked; /* verified against --ca */
	int encrypted;	   /* some entry is encrypted */
	char signer[512];  /* certificate subject, RFC 2253 */
	char issuer[512];
	char signing_time[32]; /* RFC 3339 UTC, "" when unknown */
	int timestamped;       /* a signature time-stamp (CAdES-T) verified */
	int tsa_checked;       /* its TSA chained to tsa_ca_path */
	char tsa_time[32];     /* the time-stamp's time, RFC 3339 UTC */
	char tsa[512];	       /* the TSA certificate's subject */
	uint64_t files;	       /* signed data files (DataObjectReferences) */
	uint64_t records;      /* sum of manifest.json files[].records */
	uint64_t bytes;	       /* uncompressed bytes hashed */
} px_verify_result;

/* Checks the package. Returns 0 with res filled (res->valid says whether
 * it verifies; res->problems lists why not), or -1 with err set when the
 * check itself could not run (file unreadable: PX_EXIT_IOERR; out of
 * memory). Free res with px_verify_result_free() in both cases. */
int px_verify(const px_verify_opts *opts, px_verify_result *res, px_error *err);
void px_verify_result_free(px_verify_result *res);

/* ---- The parts px_verify() is made of, for its modules and tests. ---- */

/* Appends a problem line to res (res->valid becomes 0); past
 * PX_VERIFY_MAX_PROBLEMS lines, only counts it. Returns 0, or -1 when out
 * of memory. */
int px_verify_problem(px_verify_result *res, const char *fmt, ...)
    PX_PRINTF(2, 3);

/* Length of the UTF-8 sequence at p (valid, shortest form, no
 * surrogates), or 0. p is NUL-terminated. */
size_t px_verify_utf8_len(const unsigned char *p);

/* Why name (as stored in the ZIP) is unsafe to extract, or NULL: empty,
 * absolute, "." or ".." segments, backslashes, drive letters, control
 * characters, invalid UTF-8. */
const char *px_verify_bad_name(const char *name);

/* Reads the end of the file at fd (size bytes) and the ZIP's end of
 * central directory: its entry count into *entries. When the count is at
 * most max_entries, also checks that that many headers fill the central
 * directory exactly (a lying count is refused before libzip reads it).
 * Returns 0, or -1 with why filled when it is not a sound ZIP archive. */
int px_verify_zip_directory(int fd, uint64_t size, uint64_t max_entries,
			    uint64_t *entries, char *why, size_t why_len);

/* One DataObjectReference of an ASiCManifest.xml. */
typedef struct px_asic_ref {
	char *name;	   /* URI percent-decoded: the entry's name */
	const char *md;	   /* OpenSSL digest name: "SHA256", "SHA384"... */
	const char *label; /* for messages: "SHA-256", "SHA-384"... */
	size_t digest_len; /* bytes of digest */
	unsigned char digest[64];
} px_asic_ref;

typedef struct px_asic_manifest {
	char *sig_uri; /* the SigReference's URI, decoded */
	px_asic_ref *refs;
	size_t n;
} px_asic_manifest;

/* Parses an ASiCManifest.xml strictly: only the elements ETSI EN 319
 * 162-1 defines for a CAdES manifest, in its order, with SHA-2 or SHA-3
 * digests, non-critical extensions skipped; no DOCTYPE, no entities
 * beyond XML's five and character references. Returns 0 with m
 * filled (free with px_asic_manifest_free), or -1 with why filled. */
int px_asic_manifest_parse(const char *xml, size_t len, size_t max_refs,
			   px_asic_manifest *m, char *why, size_t why_len);
void px_asic_manifest_free(px_asic_manifest *m);

/* Verifies the CMS signature sig over content (the manifest's bytes):
 * CAdES signed attributes, signer certificate valid at signing time and,
 * with ca_path, chained to it at that time; a signature time-stamp
 * (CAdES-T), when present, over the signature value and signed by its TSA
 * (chained to tsa_ca_path when given). Fills res's signer fields and
 * adds a problem for each failure. Returns 0, or -1 with err set when it
 * could not run (out of memory, unreadable CA file: PX_EXIT_USAGE). */
int px_verify_cms(const unsigned char *sig, size_t sig_len, const char *content,
		  size_t content_len, const char *ca_path,
		  const char *tsa_ca_path, px_verify_result *res,
		  px_error *err);

#endif
