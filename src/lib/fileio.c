/* Reading whole files. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"

/* Read fd to its end (at most FILE_READ_MAX bytes); closes fd unless it is 0. */
static int read_fd(int fd, char **out, size_t *len)
{
	size_t used = 0, cap = 0;
	char *buf = NULL, *nb;
	ssize_t n = 1;
	int saved;

	while (n > 0) {
		if (used + 1 >= cap) {
			cap = cap ? cap * 2 : 65536;
			if (cap > FILE_READ_MAX + 1) {
				errno = EFBIG;
				goto fail;
			}
			nb = realloc(buf, cap);
			if (!nb)
				goto fail;
			buf = nb;
		}
		n = read(fd, buf + used, cap - used - 1);
		if (n < 0 && errno == EINTR)
			n = 1;
		else if (n < 0)
			goto fail;
		else
			used += (size_t)n;
	}
	if (fd)
		close(fd);
	buf[used] = '\0';
	*out = buf;
	*len = used;
	return 0;
fail:
	saved = errno;
	free(buf);
	if (fd)
		close(fd);
	errno = saved;
	return -1;
}

int file_read_all(const char *path, char **out, size_t *len)
{
	int fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC) : 0;

	if (fd < 0)
		return -1;
	return read_fd(fd, out, len);
}

int file_read_regular(const char *path, char **out, size_t *len)
{
	struct stat st;
	int fd, e;

	if (!strcmp(path, "-")) {
		errno = EINVAL;
		return -1;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return -1;
	e = fstat(fd, &st) < 0 ? errno : !S_ISREG(st.st_mode) ? EINVAL :
	    (uint64_t)st.st_size > FILE_READ_MAX ? EFBIG : 0;
	if (e) {
		close(fd);
		errno = e;
		return -1;
	}
	return read_fd(fd, out, len);
}

const char *file_read_error(int err)
{
	if (err == EINVAL)
		return "not a regular file";
	if (err == EFBIG)
		return "larger than 64 MiB";
	return strerror(err);
}
