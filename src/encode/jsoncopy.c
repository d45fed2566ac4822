/*
 * jsoncopy.c - see jsoncopy.h. A strict recursive-descent scanner that
 * drops whitespace; anything it is not sure of (an escape, "-0", a repeated
 * key, a top-level null) makes it give up, never guess.
 */
#include "encode/jsoncopy.h"

#include <string.h>

#include "encode/rowenc.h"

#define MAX_DEPTH 32
#define MAX_KEYS  32 /* per object, for the repeated-key check */

struct scan {
	const char *p, *end;
	px_buf *out;
	int oom;
};

static void skip_ws(struct scan *sc)
{
	while (sc->p < sc->end && (*sc->p == ' ' || *sc->p == '\t' ||
				   *sc->p == '\n' || *sc->p == '\r'))
		sc->p++;
}

static int emit(struct scan *sc, const char *s, size_t n)
{
	if (px_buf_add(sc->out, s, n))
		sc->oom = 1;
	return !sc->oom;
}

static int digit(char c)
{
	return c >= '0' && c <= '9';
}

/* A string without escapes or control characters, valid UTF-8. */
static int string(struct scan *sc, const char **start, size_t *n)
{
	const char *q = ++sc->p;

	while (q < sc->end && *q != '"') {
		if (*q == '\\' || (unsigned char)*q < 0x20)
			return 0;
		q++;
	}
	if (q >= sc->end || !px_utf8_ok(sc->p, (size_t)(q - sc->p)))
		return 0;
	*start = sc->p;
	*n = (size_t)(q - sc->p);
	sc->p = q + 1;
	return emit(sc, *start - 1, *n + 2);
}

/* The JSON number grammar; the text is kept as written, which is what
 * the exact reader and the writer make of it, except "-0" (an integer
 * 0 once read). */
static int number(struct scan *sc)
{
	const char *q = sc->p, *s = sc->p;
	int real = 0;

	if (q < sc->end && *q == '-')
		q++;
	if (q < sc->end && *q == '0')
		q++;
	else if (q < sc->end && digit(*q))
		while (q < sc->end && digit(*q))
			q++;
	else
		return 0;
	if (q < sc->end && *q == '.') {
		if (++q >= sc->end || !digit(*q))
			return 0;
		while (q < sc->end && digit(*q))
			q++;
		real = 1;
	}
	if (q < sc->end && (*q == 'e' || *q == 'E')) {
		if (++q < sc->end && (*q == '+' || *q == '-'))
			q++;
		if (q >= sc->end || !digit(*q))
			return 0;
		while (q < sc->end && digit(*q))
			q++;
		real = 1;
	}
	if (!real && q - s == 2 && s[0] == '-')
		return 0; /* -0 */
	sc->p = q;
	return emit(sc, s, (size_t)(q - s));
}

static int literal(struct scan *sc, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(sc->end - sc->p) < n || memcmp(sc->p, word, n))
		return 0;
	sc->p += n;
	return emit(sc, word, n);
}

static int value(struct scan *sc, int depth);

/* After a member or an element: 1 for another one, 2 at `close`, 0 when
 * neither follows. */
static int next(struct scan *sc, char close)
{
	skip_ws(sc);
	if (sc->p < sc->end && (*sc->p == ',' || *sc->p == close))
		return emit(sc, sc->p, 1) ? *sc->p++ == ',' ? 1 : 2 : 0;
	return 0;
}

static int object(struct scan *sc, int depth)
{
	const char *keys[MAX_KEYS];
	size_t lens[MAX_KEYS], nkeys = 0;

	sc->p++;
	if (!emit(sc, "{", 1))
		return 0;
	skip_ws(sc);
	if (sc->p < sc->end && *sc->p == '}') {
		sc->p++;
		return emit(sc, "}", 1);
	}
	for (;;) {
		const char *k;
		size_t n;

		skip_ws(sc);
		if (sc->p >= sc->end || *sc->p != '"' || nkeys == MAX_KEYS ||
		    !string(sc, &k, &n))
			return 0;
		for (size_t i = 0; i < nkeys; i++)
			if (lens[i] == n && !memcmp(keys[i], k, n))
				return 0; /* which one wins is jansson's */
		keys[nkeys] = k;
		lens[nkeys++] = n;
		skip_ws(sc);
		if (sc->p >= sc->end || *sc->p++ != ':' || !emit(sc, ":", 1) ||
		    !value(sc, depth + 1))
			return 0;
		switch (next(sc, '}')) {
		case 1:
			continue;
		case 2:
			return 1;
		default:
			return 0;
		}
	}
}

static int array(struct scan *sc, int depth)
{
	sc->p++;
	if (!emit(sc, "[", 1))
		return 0;
	skip_ws(sc);
	if (sc->p < sc->end && *sc->p == ']') {
		sc->p++;
		return emit(sc, "]", 1);
	}
	for (;;) {
		int k = value(sc, depth + 1) ? next(sc, ']') : 0;
		if (k != 1)
			return k == 2;
	}
}

static int value(struct scan *sc, int depth)
{
	const char *k;
	size_t n;

	if (depth > MAX_DEPTH)
		return 0;
	skip_ws(sc);
	if (sc->p >= sc->end)
		return 0;
	switch (*sc->p) {
	case '{':
		return object(sc, depth);
	case '[':
		return array(sc, depth);
	case '"':
		return string(sc, &k, &n);
	case 't':
		return literal(sc, "true");
	case 'f':
		return literal(sc, "false");
	case 'n':
		return depth > 0 && literal(sc, "null");
	default:
		return number(sc);
	}
}

int px_json_copy(const char *s, size_t len, px_buf *out)
{
	struct scan sc = {s, s + len, out, 0};
	size_t mark = out->len;
	int ok = value(&sc, 0);

	if (ok) {
		skip_ws(&sc);
		ok = sc.p == sc.end;
	}
	if (ok)
		return 0;
	out->len = mark;
	if (out->data)
		out->data[mark] = '\0';
	return sc.oom ? -1 : 1;
}
