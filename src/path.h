/* path.h - joining a folder and a path, the one way portex does it. */
#ifndef PX_PATH_H
#define PX_PATH_H

/* A malloc'd path: `path` itself when absolute (or when dir is NULL or
 * empty), else "dir/path". NULL on out of memory. */
char *px_path_join(const char *dir, const char *path);

#endif
