/* cmd_keygen.c - portex keygen: a signing key and self-signed certificate. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "portex/asic.h"

static const char usage_text[] =
    "usage: portex keygen --key FILE --cert FILE [--name CN] [--days N]\n"
    "                     [--type ec|rsa|ed25519] [--force]\n"
    "\n"
    "Creates a private key (mode 0600) and a self-signed certificate for\n"
    "it, to sign packages in demos and tests. Production packages should\n"
    "be signed with a certificate from your organisation's CA.\n"
    "\n"
    "  --key FILE     private key to create (PEM, unencrypted, mode 0600)\n"
    "  --cert FILE    certificate to create (PEM)\n"
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
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'k':
			o.key_path = optarg;
			break;
		case 'c':
			o.cert_path = optarg;
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
	return PX_OK;
}
