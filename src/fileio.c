/* Reading whole files. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"

int file_read_all(const char *path, char **out, size_t *len)
{
	int fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC) : 0;
	size_t used = 0, cap = 0;
	char *buf = NULL, *nb;
	ssize_t n = 1;
	int saved;

	if (fd < 0)
		return -1;
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
