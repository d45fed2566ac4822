/*
 * readme.h - the note an encrypted package carries in clear: what the file
 * is and how to open it, in French and English. It holds nothing personal
 * (the same bytes in every encrypted package), so it may stay readable
 * beside the AES-256 entries; it is listed and signed like any file.
 */
#ifndef PX_PACKAGE_README_H
#define PX_PACKAGE_README_H

#include <stddef.h>

/* Its name inside the package: sorted first by most archive tools. */
#define PX_README_NAME "LISEZMOI-README.txt"

/* The note's bytes (UTF-8, CRLF line ends for Notepad). Static. */
const char *px_readme_text(size_t *len);

#endif
