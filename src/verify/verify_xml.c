/*
 * verify_xml.c - a strict reader for ASiCManifest.xml.
 *
 * The manifest is small and its grammar fixed, so instead of a general XML
 * library (and its DTDs and external entities) this reads exactly the
 * subset a CAdES ASiC-E manifest needs: elements, attributes, namespace
 * prefixes, comments, the five predefined entities and character
 * references. Anything else - a DOCTYPE, CDATA, an unknown element, a
 * second SigReference, elements out of the standard's order, a digest
 * other than SHA-2 or SHA-3, a critical extension - is an error.
 *
 * EN 319 162-1's schema: ASiCManifest is (SigReference,
 * DataObjectReference+, ASiCManifestExtensions?); a DataObjectReference is
 * (ds:DigestMethod, ds:DigestValue, DataObjectReferenceExtensions?); an
 * extensions list holds one or more Extension elements of any content and
 * an optional Critical attribute. Non-critical extensions are skipped
 * (their content is not interpreted); a critical one cannot be honoured by
 * a verifier that does not know it, so it is refused.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "portex/asic.h"
#include "portex/verify.h"

#define MAX_DEPTH 8
#define MAX_ATTRS 16
#define MAX_NS	  32

typedef struct attr {
	const char *name; /* into the document; not NUL-terminated */
	size_t name_len;
	char *value; /* decoded, malloc'ed */
} attr;

typedef struct nsbind {
	char prefix[32];
	char *uri;
	int depth;
} nsbind;

enum kind {
	K_ROOT,
	K_SIGREF,
	K_DOR,
	K_METHOD,
	K_VALUE,
	K_EXTS, /* ASiCManifestExtensions, DataObjectReferenceExtensions */
	K_EXT,	/* Extension */
	K_ANY,	/* inside an Extension: not interpreted */
};

/* Digests a DataObjectReference may use: SHA-2 and SHA-3 of at least 256
 * bits (ETSI TS 119 312), by their XML Signature URIs (RFC 6931). */
static const struct {
	const char *uri, *md, *label;
	size_t len;
} digests[] = {
    {PX_SHA256_URI, "SHA256", "SHA-256", 32},
    {"http://www.w3.org/2001/04/xmldsig-more#sha384", "SHA384", "SHA-384", 48},
    {"http://www.w3.org/2001/04/xmlenc#sha512", "SHA512", "SHA-512", 64},
    {"http://www.w3.org/2007/05/xmldsig-more#sha3-256", "SHA3-256", "SHA3-256",
     32},
    {"http://www.w3.org/2007/05/xmldsig-more#sha3-384", "SHA3-384", "SHA3-384",
     48},
    {"http://www.w3.org/2007/05/xmldsig-more#sha3-512", "SHA3-512", "SHA3-512",
     64},
};

typedef struct parser {
	const char *p, *end;
	char *why;
	size_t why_len;
	px_asic_manifest *m;
	size_t max_refs;
	nsbind ns[MAX_NS];
	int n_ns;
	struct {
		const char *qname;
		size_t qlen;
		enum kind kind;
	} stack[MAX_DEPTH];
	int depth;
	int have_method, have_value, have_exts, n_ext;
	int have_manifest_exts;
	char value[256]; /* DigestValue text, whitespace dropped */
	size_t value_len;
} parser;

static int fail(parser *ps, const char *fmt, ...) PX_PRINTF(2, 3);
static int fail(parser *ps, const char *fmt, ...)
{
	va_list ap;

	if (ps->why[0]) /* keep the first, most precise reason */
		return -1;
	va_start(ap, fmt);
	vsnprintf(ps->why, ps->why_len, fmt, ap);
	va_end(ap);
	return -1;
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int is_name_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.' ||
	       c == ':';
}

static void skip_space(parser *ps)
{
	while (ps->p < ps->end && is_space(*ps->p))
		ps->p++;
}

static int starts(parser *ps, const char *s)
{
	size_t n = strlen(s);
	return (size_t)(ps->end - ps->p) >= n && !memcmp(ps->p, s, n);
}

/* Advances past the next occurrence of s. */
static int skip_past(parser *ps, const char *s)
{
	size_t n = strlen(s);

	for (; ps->p + n <= ps->end; ps->p++)
		if (!memcmp(ps->p, s, n)) {
			ps->p += n;
			return 0;
		}
	return fail(ps, "unterminated '%s'", s);
}

static void put_utf8(char *out, size_t *o, unsigned long cp)
{
	if (cp < 0x80) {
		out[(*o)++] = (char)cp;
	} else if (cp < 0x800) {
		out[(*o)++] = (char)(0xc0 | (cp >> 6));
		out[(*o)++] = (char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		out[(*o)++] = (char)(0xe0 | (cp >> 12));
		out[(*o)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[(*o)++] = (char)(0x80 | (cp & 0x3f));
	} else {
		out[(*o)++] = (char)(0xf0 | (cp >> 18));
		out[(*o)++] = (char)(0x80 | ((cp >> 12) & 0x3f));
		out[(*o)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[(*o)++] = (char)(0x80 | (cp & 0x3f));
	}
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes s[0..n) (text or attribute value) into a new string. A decoded
 * text is never longer than its source, so one allocation is enough. */
static char *decode(parser *ps, const char *s, size_t n)
{
	static const struct {
		const char *name;
		char c;
	} ents[] = {{"amp;", '&'},
		    {"lt;", '<'},
		    {"gt;", '>'},
		    {"quot;", '"'},
		    {"apos;", '\''}};
	char *out = malloc(n + 1);
	size_t o = 0, i = 0, k;
	unsigned long cp;
	int hex, digits;

	if (!out) {
		fail(ps, "out of memory");
		return NULL;
	}
	while (i < n) {
		if (s[i] == '<' || s[i] == '\0')
			goto bad;
		if (s[i] != '&') {
			out[o++] = s[i++];
			continue;
		}
		i++;
		for (k = 0; k < sizeof(ents) / sizeof(ents[0]); k++) {
			size_t l = strlen(ents[k].name);
			if (n - i >= l && !memcmp(s + i, ents[k].name, l)) {
				out[o++] = ents[k].c;
				i += l;
				break;
			}
		}
		if (k < sizeof(ents) / sizeof(ents[0]))
			continue;
		if (i >= n || s[i] != '#')
			goto bad;
		i++;
		hex = i < n && s[i] == 'x';
		i += hex;
		for (cp = 0, digits = 0; i < n && hexval(s[i]) >= 0; i++) {
			if (!hex && hexval(s[i]) > 9)
				goto bad;
			cp = cp * (hex ? 16 : 10) + (unsigned long)hexval(s[i]);
			if (++digits > 8)
				goto bad;
		}
		if (!digits || i >= n || s[i] != ';' || cp == 0 ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			goto bad;
		/* "&#N;" takes at least 4 bytes, its UTF-8 at most 4 */
		put_utf8(out, &o, cp);
		i++;
	}
	out[o] = '\0';
	return out;
bad:
	free(out);
	fail(ps, "bad character or entity reference");
	return NULL;
}

static const char *ns_lookup(parser *ps, const char *prefix, size_t plen)
{
	for (int i = ps->n_ns - 1; i >= 0; i--)
		if (strlen(ps->ns[i].prefix) == plen &&
		    !memcmp(ps->ns[i].prefix, prefix, plen))
			return ps->ns[i].uri;
	return NULL;
}

static int attr_is(const attr *a, const char *name)
{
	return a->name_len == strlen(name) &&
	       !memcmp(a->name, name, a->name_len);
}

static const char *attr_get(const attr *a, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (attr_is(&a[i], name))
			return a[i].value;
	return NULL;
}

/* %XX-decodes a URI reference to the entry name it designates. Refuses
 * what cannot name an entry: a scheme, query, fragment, NUL. */
static char *uri_decode(parser *ps, const char *uri)
{
	size_t n = strlen(uri), o = 0;
	char *out = malloc(n + 1);
	unsigned v;

	if (!out) {
		fail(ps, "out of memory");
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		if (strchr(":?#", uri[i]))
			goto bad;
		if (uri[i] != '%') {
			out[o++] = uri[i];
			continue;
		}
		if (i + 2 >= n || hexval(uri[i + 1]) < 0 ||
		    hexval(uri[i + 2]) < 0)
			goto bad;
		v = (unsigned)(hexval(uri[i + 1]) * 16 + hexval(uri[i + 2]));
		if (!v)
			goto bad;
		out[o++] = (char)v;
		i += 2;
	}
	out[o] = '\0';
	if (!o)
		goto bad;
	return out;
bad:
	free(out);
	fail(ps, "URI \"%.200s\" does not name a file in the package", uri);
	return NULL;
}

static int open_element(parser *ps, const char *uri, const char *local,
			size_t llen, attr *a, int na)
{
	enum kind parent = ps->depth ? ps->stack[ps->depth - 1].kind : K_ROOT;
	int asic = uri && !strcmp(uri, PX_ASIC_NS);
	int ds = uri && !strcmp(uri, PX_DS_NS);
	const char *v;
	px_asic_ref *r;

#define IS(s) (llen == strlen(s) && !memcmp(local, s, llen))
	if (ps->depth == 0) {
		if (!asic || !IS("ASiCManifest"))
			return fail(ps,
				    "the root element is not an "
				    "ASiCManifest of namespace %s",
				    PX_ASIC_NS);
		ps->stack[0].kind = K_ROOT;
		return 0;
	}
	if (parent == K_ROOT && asic && IS("SigReference")) {
		v = attr_get(a, na, "URI");
		if (ps->m->sig_uri)
			return fail(ps, "more than one SigReference");
		if (ps->m->n)
			return fail(ps, "SigReference must come first");
		if (!v)
			return fail(ps, "SigReference without URI");
		ps->m->sig_uri = uri_decode(ps, v);
		ps->stack[ps->depth].kind = K_SIGREF;
		return ps->m->sig_uri ? 0 : -1;
	}
	if (parent == K_EXT || parent == K_ANY) {
		ps->stack[ps->depth].kind = K_ANY;
		return 0;
	}
	if (parent == K_ROOT && asic && IS("ASiCManifestExtensions")) {
		if (!ps->m->n || ps->have_manifest_exts++)
			return fail(ps,
				    "ASiCManifestExtensions must come once, "
				    "after the DataObjectReferences");
		ps->n_ext = 0;
		ps->stack[ps->depth].kind = K_EXTS;
		return 0;
	}
	if (parent == K_DOR && asic && IS("DataObjectReferenceExtensions")) {
		if (!ps->have_value || ps->have_exts++)
			return fail(ps,
				    "%s: DataObjectReferenceExtensions must "
				    "come once, after DigestValue",
				    ps->m->refs[ps->m->n - 1].name);
		ps->n_ext = 0;
		ps->stack[ps->depth].kind = K_EXTS;
		return 0;
	}
	if (parent == K_EXTS && asic && IS("Extension")) {
		v = attr_get(a, na, "Critical");
		if (v && (!strcmp(v, "true") || !strcmp(v, "1")))
			return fail(ps, "a critical Extension portex does not "
					"know; the manifest cannot be "
					"honoured");
		if (v && strcmp(v, "false") && strcmp(v, "0"))
			return fail(ps,
				    "Extension Critical=\"%.40s\" is not a "
				    "boolean",
				    v);
		ps->n_ext++;
		ps->stack[ps->depth].kind = K_EXT;
		return 0;
	}
	if (parent == K_ROOT && asic && IS("DataObjectReference")) {
		if (!ps->m->sig_uri || ps->have_manifest_exts)
			return fail(ps, "DataObjectReference out of order "
					"(after SigReference, before "
					"ASiCManifestExtensions)");
		v = attr_get(a, na, "URI");
		if (!v)
			return fail(ps, "DataObjectReference without URI");
		if (ps->m->n >= ps->max_refs)
			return fail(ps, "more than %zu DataObjectReferences",
				    ps->max_refs);
		r = realloc(ps->m->refs, (ps->m->n + 1) * sizeof(*r));
		if (!r)
			return fail(ps, "out of memory");
		ps->m->refs = r;
		r = &r[ps->m->n];
		memset(r, 0, sizeof(*r));
		if (!(r->name = uri_decode(ps, v)))
			return -1;
		ps->m->n++;
		ps->have_method = ps->have_value = ps->have_exts = 0;
		ps->stack[ps->depth].kind = K_DOR;
		return 0;
	}
	if (parent == K_DOR && ds && IS("DigestMethod")) {
		size_t i = 0;

		v = attr_get(a, na, "Algorithm");
		r = &ps->m->refs[ps->m->n - 1];
		while (v && i < sizeof(digests) / sizeof(digests[0]) &&
		       strcmp(v, digests[i].uri))
			i++;
		if (!v || i == sizeof(digests) / sizeof(digests[0]))
			return fail(ps,
				    "%s: digest algorithm %.200s is not one "
				    "of SHA-256, SHA-384, SHA-512, SHA3-256, "
				    "SHA3-384, SHA3-512",
				    r->name, v ? v : "(none)");
		if (ps->have_method++ || ps->have_value)
			return fail(ps,
				    "%s: one DigestMethod, before "
				    "DigestValue",
				    r->name);
		r->md = digests[i].md;
		r->label = digests[i].label;
		r->digest_len = digests[i].len;
		ps->stack[ps->depth].kind = K_METHOD;
		return 0;
	}
	if (parent == K_DOR && ds && IS("DigestValue")) {
		if (ps->have_value++ || !ps->have_method)
			return fail(ps,
				    "%s: one DigestValue, after "
				    "DigestMethod",
				    ps->m->refs[ps->m->n - 1].name);
		ps->value_len = 0;
		ps->stack[ps->depth].kind = K_VALUE;
		return 0;
	}
#undef IS
	return fail(ps, "unexpected element <%.*s> (namespace %.200s)",
		    (int)llen, local, uri ? uri : "none");
}

static int close_element(parser *ps)
{
	enum kind k = ps->stack[ps->depth].kind;
	px_asic_ref *r;
	unsigned char bin[sizeof(ps->value)], canon[sizeof(ps->value)];
	size_t b64;
	int n;

	if (k == K_EXTS && !ps->n_ext)
		return fail(ps, "an extensions list without Extension");
	if (k != K_DOR)
		return 0;
	r = &ps->m->refs[ps->m->n - 1];
	if (!ps->have_method || !ps->have_value)
		return fail(ps,
			    "%s: DataObjectReference without DigestMethod "
			    "and DigestValue",
			    r->name);
	ps->value[ps->value_len] = '\0';
	/* base64 of digest_len bytes, in its one canonical spelling: the
	 * decoded digest encodes back to the same text */
	b64 = (r->digest_len + 2) / 3 * 4;
	n = ps->value_len == b64
		? EVP_DecodeBlock(bin, (unsigned char *)ps->value, (int)b64)
		: -1;
	if (n < (int)r->digest_len ||
	    EVP_EncodeBlock(canon, bin, (int)r->digest_len) != (int)b64 ||
	    memcmp(canon, ps->value, b64))
		return fail(ps, "%s: DigestValue is not a base64 %s", r->name,
			    r->label);
	memcpy(r->digest, bin, r->digest_len);
	return 0;
}

static int text(parser *ps, const char *s, size_t n)
{
	char *t;
	int rc = 0;

	if (ps->depth && (ps->stack[ps->depth - 1].kind == K_EXT ||
			  ps->stack[ps->depth - 1].kind == K_ANY))
		return 0; /* an extension's content, not interpreted */
	if (ps->depth && ps->stack[ps->depth - 1].kind == K_VALUE) {
		if (!(t = decode(ps, s, n)))
			return -1;
		for (char *c = t; *c; c++) {
			if (is_space(*c))
				continue;
			if (ps->value_len + 1 >= sizeof(ps->value)) {
				rc = fail(ps, "DigestValue too long");
				break;
			}
			ps->value[ps->value_len++] = *c;
		}
		free(t);
		return rc;
	}
	for (size_t i = 0; i < n; i++)
		if (!is_space(s[i]))
			return fail(ps, "unexpected text \"%.40s\"", s + i);
	return 0;
}

static int parse_attrs(parser *ps, attr *a, int *na)
{
	const char *name;
	char quote;
	const char *v;

	*na = 0;
	for (;;) {
		skip_space(ps);
		if (ps->p >= ps->end)
			return fail(ps, "unterminated tag");
		if (*ps->p == '>' || *ps->p == '/')
			return 0;
		name = ps->p;
		while (ps->p < ps->end && is_name_char(*ps->p))
			ps->p++;
		if (ps->p == name)
			return fail(ps, "bad attribute");
		if (*na >= MAX_ATTRS)
			return fail(ps, "too many attributes");
		a[*na].name = name;
		a[*na].name_len = (size_t)(ps->p - name);
		skip_space(ps);
		if (ps->p >= ps->end || *ps->p != '=')
			return fail(ps, "attribute without value");
		ps->p++;
		skip_space(ps);
		if (ps->p >= ps->end || (*ps->p != '"' && *ps->p != '\''))
			return fail(ps, "attribute value not quoted");
		quote = *ps->p++;
		v = ps->p;
		while (ps->p < ps->end && *ps->p != quote)
			ps->p++;
		if (ps->p >= ps->end)
			return fail(ps, "unterminated attribute value");
		for (int i = 0; i < *na; i++)
			if (a[i].name_len == a[*na].name_len &&
			    !memcmp(a[i].name, name, a[i].name_len))
				return fail(ps, "duplicated attribute");
		if (!(a[*na].value = decode(ps, v, (size_t)(ps->p - v))))
			return -1;
		(*na)++;
		ps->p++;
	}
}

/* xmlns and xmlns:p declarations of an element, in scope for its depth. */
static int bind_ns(parser *ps, const attr *a, int na)
{
	const char *pre;
	size_t plen;

	for (int i = 0; i < na; i++) {
		if (attr_is(&a[i], "xmlns")) {
			pre = "";
			plen = 0;
		} else if (a[i].name_len > 6 &&
			   !memcmp(a[i].name, "xmlns:", 6)) {
			pre = a[i].name + 6;
			plen = a[i].name_len - 6;
		} else {
			continue;
		}
		if (ps->n_ns >= MAX_NS || plen >= sizeof(ps->ns[0].prefix))
			return fail(ps, "too many namespace declarations");
		memcpy(ps->ns[ps->n_ns].prefix, pre, plen);
		ps->ns[ps->n_ns].prefix[plen] = '\0';
		ps->ns[ps->n_ns].uri = strdup(a[i].value);
		ps->ns[ps->n_ns].depth = ps->depth;
		if (!ps->ns[ps->n_ns++].uri)
			return fail(ps, "out of memory");
	}
	return 0;
}

static void unbind_ns(parser *ps)
{
	while (ps->n_ns && ps->ns[ps->n_ns - 1].depth >= ps->depth)
		free(ps->ns[--ps->n_ns].uri);
}

static int start_tag(parser *ps)
{
	attr a[MAX_ATTRS];
	const char *qname = ++ps->p, *colon;
	size_t qlen;
	int na = 0, rc = -1, empty;

	while (ps->p < ps->end && is_name_char(*ps->p))
		ps->p++;
	qlen = (size_t)(ps->p - qname);
	if (!qlen)
		return fail(ps, "bad element name");
	if (ps->depth >= MAX_DEPTH)
		return fail(ps, "elements nested too deep");
	if (parse_attrs(ps, a, &na))
		goto out;
	empty = *ps->p == '/';
	ps->p += empty;
	if (ps->p >= ps->end || *ps->p != '>') {
		fail(ps, "bad tag");
		goto out;
	}
	ps->p++;
	if (bind_ns(ps, a, na))
		goto out;
	colon = memchr(qname, ':', qlen);
	{
		const char *uri =
		    colon ? ns_lookup(ps, qname, (size_t)(colon - qname))
			  : ns_lookup(ps, "", 0);
		const char *local = colon ? colon + 1 : qname;
		size_t llen = qlen - (size_t)(local - qname);

		if (colon && !uri) {
			fail(ps, "undeclared namespace prefix in <%.*s>",
			     (int)qlen, qname);
			goto out;
		}
		if (open_element(ps, uri, local, llen, a, na))
			goto out;
	}
	ps->stack[ps->depth].qname = qname;
	ps->stack[ps->depth].qlen = qlen;
	ps->depth++;
	rc = 0;
	if (empty) {
		ps->depth--;
		rc = close_element(ps);
		unbind_ns(ps);
	}
out:
	for (int i = 0; i < na; i++)
		free(a[i].value);
	return rc;
}

static int end_tag(parser *ps)
{
	const char *q = ps->p + 2;
	size_t qlen;

	ps->p = q;
	while (ps->p < ps->end && is_name_char(*ps->p))
		ps->p++;
	qlen = (size_t)(ps->p - q);
	skip_space(ps);
	if (ps->p >= ps->end || *ps->p != '>')
		return fail(ps, "bad end tag");
	ps->p++;
	if (!ps->depth || ps->stack[ps->depth - 1].qlen != qlen ||
	    memcmp(ps->stack[ps->depth - 1].qname, q, qlen))
		return fail(ps, "mismatched end tag </%.*s>", (int)qlen, q);
	ps->depth--;
	if (close_element(ps))
		return -1;
	unbind_ns(ps);
	return 0;
}

static int parse(parser *ps)
{
	const char *t;
	int seen_root = 0;

	if (starts(ps, "\xef\xbb\xbf"))
		ps->p += 3;
	if (starts(ps, "<?xml ") && skip_past(ps, "?>"))
		return -1;
	while (ps->p < ps->end) {
		if (*ps->p != '<') {
			t = ps->p;
			while (ps->p < ps->end && *ps->p != '<')
				ps->p++;
			if (!ps->depth) {
				for (; t < ps->p; t++)
					if (!is_space(*t))
						return fail(ps, "text outside "
								"the root "
								"element");
				continue;
			}
			if (text(ps, t, (size_t)(ps->p - t)))
				return -1;
			continue;
		}
		if (starts(ps, "<!--")) {
			if (skip_past(ps, "-->"))
				return -1;
		} else if (starts(ps, "</")) {
			if (end_tag(ps))
				return -1;
		} else if (starts(ps, "<!") || starts(ps, "<?")) {
			return fail(ps, "DOCTYPE, CDATA and processing "
					"instructions are not accepted");
		} else {
			if (!ps->depth && seen_root++)
				return fail(ps, "more than one root element");
			if (start_tag(ps))
				return -1;
		}
	}
	if (ps->depth || !seen_root)
		return fail(ps, "the document ends before the root element");
	if (!ps->m->sig_uri)
		return fail(ps, "no SigReference");
	if (!ps->m->n)
		return fail(ps, "no DataObjectReference");
	return 0;
}

int px_asic_manifest_parse(const char *xml, size_t len, size_t max_refs,
			   px_asic_manifest *m, char *why, size_t why_len)
{
	parser ps;
	int rc;

	memset(&ps, 0, sizeof(ps));
	memset(m, 0, sizeof(*m));
	ps.p = xml;
	ps.end = xml + len;
	ps.why = why;
	ps.why_len = why_len;
	ps.m = m;
	ps.max_refs = max_refs;
	why[0] = '\0';
	if (memchr(xml, '\0', len))
		rc = fail(&ps, "NUL byte in the document");
	else
		rc = parse(&ps);
	ps.depth = -1;
	unbind_ns(&ps);
	if (rc)
		px_asic_manifest_free(m);
	return rc;
}

void px_asic_manifest_free(px_asic_manifest *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->refs[i].name);
	free(m->refs);
	free(m->sig_uri);
	memset(m, 0, sizeof(*m));
}
