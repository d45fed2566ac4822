/*
 * asic.h - ETSI EN 319 162-1 ASiC-E signing of a package (issue 5).
 *
 * The packager writes every data entry, then hands the list of entries and
 * their digests to px_asic_sign(), which adds META-INF/ASiCManifest.xml and
 * META-INF/signature001.p7s (CAdES-BES, detached, over the manifest).
 */
#ifndef PORTEX_ASIC_H
#define PORTEX_ASIC_H

#include <stdint.h>
#include <zip.h>

#include "portex/error.h"

/* One file of the package outside META-INF/ and other than mimetype. */
typedef struct px_digest_entry {
	const char *name;          /* path inside the package */
	unsigned char sha256[32];  /* of the uncompressed bytes */
	uint64_t size;
} px_digest_entry;

typedef struct px_signer px_signer;

/* Loads a private key and its certificate (PEM). key_pass: a passphrase
 * for an encrypted key, or NULL. Refuses a key file readable by group or
 * others. Returns a new signer (free with px_signer_free) or NULL. */
px_signer *px_signer_load(const char *key_path, const char *cert_path,
			  const char *key_pass, px_error *err);
void px_signer_free(px_signer *s);

/* The signer certificate's subject, for manifest and index.html. Valid
 * until px_signer_free(). */
const char *px_signer_subject(const px_signer *s);

/* Adds the two META-INF entries to za (not yet closed). The buffers are
 * handed to libzip, which frees them at zip_close()/zip_discard(). */
int px_asic_sign(zip_t *za, const px_digest_entry *entries, size_t n,
		 px_signer *signer, px_error *err);

#endif
