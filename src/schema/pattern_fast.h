/*
 * pattern_fast.h - hand-written matchers for the few patterns every record
 * checks (timestamps, dates, decimals). regexec() was a visible share of
 * validating a million records; these give the same answers (a unit test
 * compares them with regexec on many strings) at a fraction of the cost.
 */
#ifndef PX_PATTERN_FAST_H
#define PX_PATTERN_FAST_H

/* The schemas' pattern for a decimal string (money: "19.90"). The
 * normaliser treats a string field with exactly this pattern as money. */
#define PX_DECIMAL_PATTERN "^-?[0-9]+(\\.[0-9]+)?$"

/* 1 when s matches, 0 when not. */
typedef int (*px_pattern_fn)(const char *s);

/* The matcher for exactly this pattern text, or NULL (use regexec). */
px_pattern_fn px_pattern_fast(const char *pattern);

/* The check of a "format" portex asserts - "email", "ipv4", "ipv6", with
 * the answers of ajv-formats, so that a package valid for portex is valid
 * for ajv - or NULL: any other format is an annotation (date-time and
 * date are enforced by the schemas' patterns). */
px_pattern_fn px_format_check(const char *format);

#endif
