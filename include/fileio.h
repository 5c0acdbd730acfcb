/* Reading whole files: rule files of any loader, pipes and stdin included. */
#ifndef VPCFW_FILEIO_H
#define VPCFW_FILEIO_H

#include <stddef.h>

/* Rule files are small; anything larger is a mistake (or /dev/zero). */
#define FILE_READ_MAX (64u << 20)

/*
 * Read all of path ("-": standard input) into a new buffer, NUL-terminated
 * (the NUL is not counted in *len). 0, or -1 with errno (EFBIG past
 * FILE_READ_MAX, or the error of open/read/malloc).
 */
int file_read_all(const char *path, char **out, size_t *len);

#endif
