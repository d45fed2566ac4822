/* verify_tst.h - the signature time-stamp of a CAdES-T signature. */
#ifndef PX_VERIFY_TST_H
#define PX_VERIFY_TST_H

#include <openssl/cms.h>

#include "portex/verify.h"

/* The signature-time-stamp unsigned attribute of si, if any: an RFC 3161
 * token whose imprint is the digest of si's signature value, whose
 * signature verifies with the TSA certificate it carries and, given
 * tsa_ca_path, chains to it. Fills res's tsa fields, or adds a problem.
 * Returns 0, or -1 with err set (out of memory, unreadable tsa_ca_path:
 * PX_EXIT_USAGE). */
int px_verify_timestamp(CMS_SignerInfo *si, const char *tsa_ca_path,
			px_verify_result *res, px_error *err);

#endif
