/* sd_notify(3) by hand: the protocol is one datagram of KEY=VALUE lines. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "notify.h"

int notify_send(const char *fmt, ...)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	socklen_t alen;
	char msg[512];
	va_list ap;
	int fd, ret;

	if (!path || !*path)
		return 0;
	if (strlen(path) >= sizeof(sun.sun_path) || (path[0] != '/' && path[0] != '@')) {
		errno = EINVAL;
		return -1;
	}
	strcpy(sun.sun_path, path);
	/* '@' names a socket in the abstract namespace: a leading NUL byte. */
	if (path[0] == '@')
		sun.sun_path[0] = '\0';
	alen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path));
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	ret = sendto(fd, msg, strlen(msg), MSG_NOSIGNAL, (struct sockaddr *)&sun, alen) < 0 ? -1 : 0;
	close(fd);
	return ret;
}
