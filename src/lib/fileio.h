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

/*
 * As file_read_all, for the engine, which must never wait on a file: path
 * is opened with O_NONBLOCK (a FIFO without a writer cannot hold the open)
 * and must be a regular file of at most FILE_READ_MAX bytes, checked
 * before reading. -1 with errno EINVAL for anything else (FIFO, device,
 * socket, directory, "-"), EFBIG when too large.
 */
int file_read_regular(const char *path, char **out, size_t *len);

/* Words for an errno of the functions above ("not a regular file", ...). */
const char *file_read_error(int err);

#endif
