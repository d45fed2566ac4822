/* cmd_verify.c - portex verify: is this package what its signer sent? */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "cli/commands.h"
#include "secret.h"
#include "portex/verify.h"

static const char usage_text[] =
    "usage: portex verify PACKAGE.zip [--ca CERT.pem] [--tsa-ca CERT.pem]\n"
    "                     [--json] [--password-file FILE] "
    "[--max-size N[KMG]]\n"
    "\n"
    "Checks a package without extracting it: mimetype, every file's\n"
    "SHA-256 against META-INF/ASiCManifest.xml and manifest.json, no file\n"
    "added or removed, the CAdES signature over the manifest, and the\n"
    "signer certificate's validity at the signing time, and a signature\n"
    "time-stamp (CAdES-T) when there is one. Hostile archives\n"
    "(unsafe names, zip bombs, too many entries) are refused unread.\n"
    "\n"
    "  --ca CERT.pem         also check the signer chains to one of these\n"
    "                        certificates (at the signing time); without\n"
    "                        it, anyone's valid signature is accepted\n"
    "  --tsa-ca CERT.pem     require a signature time-stamp and check its\n"
    "                        authority chains to one of these; without\n"
    "                        it, a time-stamp's own signature is checked\n"
    "  --json                print the report as JSON on stdout\n"
    "  --password-file FILE  password of an encrypted package (first "
    "line)\n"
    "  --max-size N[KMG]     refuse an archive that expands to more than\n"
    "                        N bytes (default 4G)\n"
    "\n"
    "Exit status: 0 valid, 1 does not verify (each problem on stderr),\n"
    "64 usage, 74 the file cannot be read.\n";

/* "512M" -> bytes; -1 when not a size. */
static int parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	int shift = 0;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -1;
	if (*end == 'K' || *end == 'k')
		shift = 10;
	else if (*end == 'M' || *end == 'm')
		shift = 20;
	else if (*end == 'G' || *end == 'g')
		shift = 30;
	if (shift)
		end++;
	if (*end || !v || v > (UINT64_MAX >> shift))
		return -1;
	*out = (uint64_t)v << shift;
	return 0;
}

/* The first line of path, without its newline. Never echoed anywhere. */
static int read_password(const char *path, char *buf, size_t n, px_error *err)
{
	int len = px_secret_read_file(path, buf, n, PX_EXIT_USAGE, err);

	if (len < 0)
		return px_error_prefix(err, "--password-file");
	if (!len)
		return px_error_set(err, PX_EXIT_USAGE,
				    "--password-file %s: empty first line",
				    path);
	return 0;
}

static void print_text(const px_verify_opts *o, const px_verify_result *r)
{
	printf("package: %s\n", o->path);
	if (r->signer[0]) {
		printf("signer: %s\n", r->signer);
		printf("issuer: %s\n", r->issuer);
	}
	if (r->signing_time[0])
		printf("signing time: %s\n", r->signing_time);
	if (r->is_signed)
		printf("trust: %s%s\n",
		       r->chain_checked ? "chain checked against "
					: "signer not checked against a CA "
					  "(give --ca)",
		       r->chain_checked ? o->ca_path : "");
	if (r->tsa_time[0])
		printf("time-stamp: %s by %s (%s)\n", r->tsa_time,
		       r->tsa[0] ? r->tsa : "unknown TSA",
		       r->tsa_checked	? "TSA checked against --tsa-ca"
		       : r->timestamped ? "TSA not checked (give --tsa-ca)"
					: "does not verify");
	printf("files: %llu\n", (unsigned long long)r->files);
	printf("records: %llu\n", (unsigned long long)r->records);
	if (r->encrypted)
		printf("encrypted: yes\n");
	printf("result: %s\n", r->valid ? "valid" : "NOT VALID");
}

static int print_json(const px_verify_opts *o, const px_verify_result *r)
{
	json_t *problems = json_array(), *root;
	size_t shown = r->n_problems < PX_VERIFY_MAX_PROBLEMS
			   ? r->n_problems
			   : PX_VERIFY_MAX_PROBLEMS;
	int rc;

	for (size_t i = 0; i < shown; i++)
		json_array_append_new(problems, json_string(r->problems[i]));
	root = json_pack(
	    "{s:s, s:b, s:b, s:b, s:s?, s:s?, s:s?, s:b, s:s?, s:I, s:I, "
	    "s:b, s:I, s:o, s:b, s:s?, s:s?, s:b}",
	    "package", o->path, "valid", r->valid, "signed", r->is_signed,
	    "signature_ok", r->signature_ok, "signer",
	    r->signer[0] ? r->signer : NULL, "issuer",
	    r->issuer[0] ? r->issuer : NULL, "signing_time",
	    r->signing_time[0] ? r->signing_time : NULL, "chain_checked",
	    r->chain_checked, "ca", r->chain_checked ? o->ca_path : NULL,
	    "files", (json_int_t)r->files, "records", (json_int_t)r->records,
	    "encrypted", r->encrypted, "problem_count",
	    (json_int_t)r->n_problems, "problems", problems, "timestamped",
	    r->timestamped, "tsa_time", r->tsa_time[0] ? r->tsa_time : NULL,
	    "tsa", r->tsa[0] ? r->tsa : NULL, "tsa_checked", r->tsa_checked);
	if (!root)
		return -1;
	rc = json_dumpf(root, stdout, JSON_INDENT(2));
	putchar('\n');
	json_decref(root);
	return rc;
}

int cmd_verify(int argc, char **argv, px_error *err)
{
	static const struct option opts[] = {
	    {"ca", required_argument, NULL, 'c'},
	    {"tsa-ca", required_argument, NULL, 't'},
	    {"json", no_argument, NULL, 'j'},
	    {"password-file", required_argument, NULL, 'p'},
	    {"max-size", required_argument, NULL, 'm'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	px_verify_opts o = {0};
	px_verify_result r;
	const char *pw_file = NULL;
	char pw[1024];
	int c, json = 0, rc;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			o.tsa_ca_path = optarg;
			break;
		case 'c':
			o.ca_path = optarg;
			break;
		case 'j':
			json = 1;
			break;
		case 'p':
			pw_file = optarg;
			break;
		case 'm':
			if (parse_size(optarg, &o.max_total))
				return px_usage_error(
				    err, "verify",
				    "--max-size '%s': expected "
				    "bytes, or a number with "
				    "K, M or G",
				    optarg);
			break;
		case 'h':
			fputs(usage_text, stdout);
			return PX_OK;
		default:
			return px_usage_error(
			    err, "verify", "unknown or incomplete option '%s'",
			    argv[optind - 1]);
		}
	}
	if (optind + 1 != argc)
		return px_usage_error(err, "verify",
				      optind < argc ? "expected one package"
						    : "which package? give "
						      "PACKAGE.zip");
	o.path = argv[optind];
	if (pw_file) {
		if (read_password(pw_file, pw, sizeof(pw), err))
			return -1;
		o.password = pw;
	}
	rc = px_verify(&o, &r, err);
	if (pw_file)
		OPENSSL_cleanse(pw, sizeof(pw));
	if (rc) {
		px_verify_result_free(&r);
		return -1;
	}
	if (json ? print_json(&o, &r) : (print_text(&o, &r), 0)) {
		px_verify_result_free(&r);
		return px_error_oom(err);
	}
	fflush(stdout);
	for (size_t i = 0; i < r.n_problems && i < PX_VERIFY_MAX_PROBLEMS; i++)
		fprintf(stderr, "portex verify: %s\n", r.problems[i]);
	if (r.n_problems > PX_VERIFY_MAX_PROBLEMS)
		fprintf(stderr, "portex verify: ... and %zu more problems\n",
			r.n_problems - PX_VERIFY_MAX_PROBLEMS);
	rc = r.valid ? PX_OK : PX_EXIT_INVALID;
	if (!r.valid)
		px_error_set(err, PX_EXIT_INVALID,
			     "%s does not verify (%zu problem%s)", o.path,
			     r.n_problems, r.n_problems == 1 ? "" : "s");
	px_verify_result_free(&r);
	return rc;
}
