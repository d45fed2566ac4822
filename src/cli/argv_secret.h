/*
 * argv_secret.h - a password given on the command line leaves
 * /proc/PID/cmdline.
 */
#ifndef PX_ARGV_SECRET_H
#define PX_ARGV_SECRET_H

/* For each argument holding a PostgreSQL URI with a password
 * ("postgresql://user:PASSWORD@...", also after "--ledger="): argv[i]
 * is pointed at a copy (freed at exit by the OS) and the password in the
 * original, which is what /proc/PID/cmdline shows, is overwritten with
 * '*'. Prefer PGPASSWORD or ~/.pgpass (libpq reads both). */
void px_argv_hide_secrets(int argc, char **argv);

#endif
