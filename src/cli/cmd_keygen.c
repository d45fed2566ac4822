/* cmd_keygen.c - portex keygen: a signing key, its certificate and CA. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "portex/asic.h"

static const char usage_text[] =
    "usage: portex keygen --key FILE --cert FILE [--ca FILE] [--name CN]\n"
    "                     [--days N] [--type ec|rsa|ed25519] [--force]\n"
    "\n"
    "Creates a private key (mode 0600) and a certificate for it issued by\n"
    "a one-shot CA (\"CN CA\", whose key is discarded), to sign packages\n"
    "in demos and tests. Recipients trust the CA certificate (--ca).\n"
    "Production packages should be signed with a certificate from your\n"
    "organisation's or a qualified CA (see portex(1), SIGNING).\n"
    "\n"
    "  --key FILE     private key to create (PEM, unencrypted, mode 0600)\n"
    "  --cert FILE    certificate to create (PEM): the signer's, then the\n"
    "                 CA's, as signing.cert wants them\n"
    "  --ca FILE      also write the CA certificate alone: the trust\n"
    "                 anchor for verify --ca, openssl, certtool, NSS\n"
    "  --name CN      the certificate's common name (default: portex)\n"
    "  --days N       validity in days from now (default: 365)\n"
    "  --type T       ec (ECDSA P-256, default), rsa (3072 bits), ed25519\n"
    "                 (OpenSSL 3.0 cannot sign packages with ed25519)\n"
    "  --force        replace existing files\n";

static int parse_days(const char *s, int *out)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (!*s || *end || v < 1 || v > 36500)
		return -1;
	*out = (int)v;
	return 0;
}

int cmd_keygen(int argc, char **argv, px_error *err)
{
	static const struct option opts[] = {
	    {"key", required_argument, NULL, 'k'},
	    {"cert", required_argument, NULL, 'c'},
	    {"ca", required_argument, NULL, 'a'},
	    {"name", required_argument, NULL, 'n'},
	    {"days", required_argument, NULL, 'd'},
	    {"type", required_argument, NULL, 't'},
	    {"force", no_argument, NULL, 'f'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	px_keygen_opts o = {0};
	int c;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'k':
			o.key_path = optarg;
			break;
		case 'c':
			o.cert_path = optarg;
			break;
		case 'a':
			o.ca_path = optarg;
			break;
		case 'n':
			o.name = optarg;
			break;
		case 'd':
			if (parse_days(optarg, &o.days))
				return px_usage_error(err, "keygen",
						      "--days '%s': expected a "
						      "number of days, 1 to "
						      "36500",
						      optarg);
			break;
		case 't':
			if (!strcmp(optarg, "ec"))
				o.type = PX_KEY_EC;
			else if (!strcmp(optarg, "rsa"))
				o.type = PX_KEY_RSA;
			else if (!strcmp(optarg, "ed25519"))
				o.type = PX_KEY_ED25519;
			else
				return px_usage_error(err, "keygen",
						      "--type '%s': expected "
						      "ec, rsa or ed25519",
						      optarg);
			break;
		case 'f':
			o.force = 1;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return PX_OK;
		default:
			return px_usage_error(
			    err, "keygen", "unknown or incomplete option '%s'",
			    argv[optind - 1]);
		}
	}
	if (optind < argc)
		return px_usage_error(err, "keygen", "unexpected argument '%s'",
				      argv[optind]);
	if (!o.key_path || !o.cert_path)
		return px_usage_error(err, "keygen",
				      "--key and --cert are required");
	if (px_keygen(&o, err))
		return -1;
	printf("key: %s\ncertificate: %s\n", o.key_path, o.cert_path);
	if (o.ca_path)
		printf("CA certificate: %s\n", o.ca_path);
	return PX_OK;
}
