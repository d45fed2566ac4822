/* auth.h - the portal's bearer token, checked in constant time. */
#ifndef PX_SERVE_AUTH_H
#define PX_SERVE_AUTH_H

/* 1 when `authorization` (the header's value, may be NULL) is
 * "Bearer <token>" with exactly `token`, else 0. The time taken does not
 * depend on how much of the token matches, nor on its length. */
int px_serve_auth_ok(const char *authorization, const char *token);

#endif
