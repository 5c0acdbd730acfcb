/*
 * Unit tests of what the control socket stands on: the number parser every
 * request and option uses (the filters': check_filter), the log summary of a
 * failed load, the engine's file reading, and the server and client over a
 * real UNIX socket (framing, silent and greedy clients, deadlines).
 */
#include <check.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common.h"
#include "ctl.h"
#include "diag.h"
#include "fileio.h"
#include "num.h"
#include "testutil.h"

START_TEST(test_num_parse)
{
	uint64_t v = 7;

	ck_assert_int_eq(num_parse("80", 0, 65535, &v), 0);
	ck_assert_uint_eq(v, 80);
	ck_assert_int_eq(num_parse("0", 0, 65535, &v), 0);
	ck_assert_uint_eq(v, 0);
	ck_assert_int_eq(num_parse("65535", 0, 65535, &v), 0);
	ck_assert_uint_eq(v, 65535);
	ck_assert_int_eq(num_parse("18446744073709551615", 0, UINT64_MAX, &v), 0);
	ck_assert_uint_eq(v, UINT64_MAX);
	v = 7;
	/* 2^32 + 80: a 32-bit wrap would read 80. */
	ck_assert_int_eq(num_parse("4294967376", 0, 65535, &v), -1);
	ck_assert_int_eq(errno, ERANGE);
	ck_assert_int_eq(num_parse("4294967297", 1, 3600, &v), -1);
	ck_assert_int_eq(num_parse("18446744073709551616", 0, UINT64_MAX, &v), -1);
	ck_assert_int_eq(errno, ERANGE);
	ck_assert_int_eq(num_parse("99999999999999999999999", 0, UINT64_MAX, &v), -1);
	ck_assert_int_eq(num_parse("65536", 0, 65535, &v), -1);
	ck_assert_int_eq(num_parse("0", 1, 3600, &v), -1);
	ck_assert_int_eq(errno, ERANGE);
	ck_assert_int_eq(num_parse("9", 0, 5, &v), -1);
	ck_assert_int_eq(errno, ERANGE);
	/* Not numbers at all. */
	ck_assert_int_eq(num_parse("", 0, 65535, &v), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(num_parse(NULL, 0, 65535, &v), -1);
	ck_assert_int_eq(num_parse("-1", 0, 65535, &v), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(num_parse("+1", 0, 65535, &v), -1);
	ck_assert_int_eq(num_parse(" 1", 0, 65535, &v), -1);
	ck_assert_int_eq(num_parse("1 ", 0, 65535, &v), -1);
	ck_assert_int_eq(num_parse("0x10", 0, 65535, &v), -1);
	ck_assert_int_eq(num_parse("8o", 0, 65535, &v), -1);
	ck_assert_uint_eq(v, 7);		/* untouched by every failure */
}
END_TEST

START_TEST(test_diag_summary)
{
	struct diag *d = diag_new();
	char buf[256];

	diag_add(d, DIAG_ERROR, "/etc/shadow", 1, 1, "root:SECRET:19700::", "bad 'root:SECRET'");
	diag_add(d, DIAG_ERROR, "/etc/shadow", 2, 1, "daemon:SECRET:19700::", "bad");
	diag_add(d, DIAG_WARNING, "/etc/shadow", 3, 1, "x", "warn");
	diag_add(d, DIAG_ERROR, "/b", 1, 1, "SECRET", "bad SECRET");
	diag_summary(d, buf, sizeof(buf));
	ck_assert_str_eq(buf, "/etc/shadow: 2 errors; /b: 1 error");
	ck_assert_ptr_null(strstr(buf, "SECRET"));
	diag_summary(d, buf, 12);		/* cut, still terminated */
	ck_assert_uint_eq(strlen(buf), 11);
	diag_free(d);
}
END_TEST

START_TEST(test_read_regular)
{
	char dir[] = "/tmp/check_ctl.XXXXXX", fifo[64], file[64];
	size_t len;
	char *buf;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	snprintf(file, sizeof(file), "%s/file", dir);
	ck_assert_int_eq(mkfifo(fifo, 0600), 0);
	/* No writer: a plain open would wait for ever. */
	ck_assert_int_eq(file_read_regular(fifo, &buf, &len), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_str_eq(file_read_error(errno), "not a regular file");
	ck_assert_int_eq(file_read_regular("/dev/zero", &buf, &len), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(file_read_regular(dir, &buf, &len), -1);
	ck_assert_int_eq(file_read_regular("-", &buf, &len), -1);
	ck_assert_int_eq(file_read_regular(file, &buf, &len), -1);
	ck_assert_int_eq(errno, ENOENT);
	{
		FILE *f = fopen(file, "w");

		ck_assert_ptr_nonnull(f);
		fputs("sg sg-1 {\n}\n", f);
		fclose(f);
	}
	ck_assert_int_eq(file_read_regular(file, &buf, &len), 0);
	ck_assert_uint_eq(len, 12);
	free(buf);
	/* Past 64 MiB: refused from its size, before reading a byte. */
	ck_assert_int_eq(truncate(file, (off_t)FILE_READ_MAX + 1), 0);
	ck_assert_int_eq(file_read_regular(file, &buf, &len), -1);
	ck_assert_int_eq(errno, EFBIG);
	unlink(file);
	unlink(fifo);
	rmdir(dir);
}
END_TEST

/* ---- the server and the client over a real socket ------------------------ */

struct srv {
	char path[64];
	int lfd, ep;
	struct ctl_server *s;
	pthread_t tid;
	bool stop;
};

/* "echo": the words it got, one a line. */
static int cmd_echo(void *ctx, char *const *argv, FILE *out)
{
	for (argv++; *argv; argv++)
		fprintf(out, "[%s]\n", *argv);
	return 0;
}

static int cmd_fail(void *ctx, char *const *argv, FILE *out)
{
	fprintf(out, "refused\n");
	return -1;
}

static const struct ctl_cmd test_cmds[] = {
	{ "echo", cmd_echo, NULL },
	{ "fail", cmd_fail, NULL },
};

static void *srv_loop(void *arg)
{
	struct srv *v = arg;
	struct epoll_event ev[16];
	int n, i;

	while (!__atomic_load_n(&v->stop, __ATOMIC_ACQUIRE)) {
		int t = ctl_server_timeout(v->s, now_ms());

		n = epoll_wait(v->ep, ev, 16, t < 0 || t > 50 ? 50 : t);
		for (i = 0; i < n; i++)
			ctl_server_event(v->s, ev[i].data.fd, ev[i].events);
		ctl_server_expire(v->s, now_ms());
	}
	return NULL;
}

static void srv_start(struct srv *v)
{
	snprintf(v->path, sizeof(v->path), "/tmp/check_ctl.%d.sock", (int)getpid());
	unlink(v->path);
	v->lfd = ctl_listen(v->path);
	ck_assert_int_ge(v->lfd, 0);
	v->ep = epoll_create1(EPOLL_CLOEXEC);
	ck_assert_int_ge(v->ep, 0);
	v->s = ctl_server_new(v->lfd, v->ep, test_cmds, ARRAY_SIZE(test_cmds), NULL);
	ck_assert_ptr_nonnull(v->s);
	v->stop = false;
	ck_assert_int_eq(pthread_create(&v->tid, NULL, srv_loop, v), 0);
}

static void srv_stop(struct srv *v)
{
	__atomic_store_n(&v->stop, true, __ATOMIC_RELEASE);
	pthread_join(v->tid, NULL);
	ctl_server_free(v->s);
	close(v->ep);
	close(v->lfd);
	unlink(v->path);
}

static int raw_connect(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	strcpy(sun.sun_path, path);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	return fd;
}

/* Everything the engine says on fd until it closes. */
static char *read_all(int fd)
{
	static char buf[256];
	size_t n = 0;
	ssize_t r;

	while (n + 1 < sizeof(buf) && (r = read(fd, buf + n, sizeof(buf) - 1 - n)) > 0)
		n += (size_t)r;
	buf[n] = '\0';
	return buf;
}

/* ctl_request into a string. */
static int ask(const struct srv *v, char *const *argv, char **text)
{
	size_t len = 0;
	FILE *out = open_memstream(text, &len);
	int ret = ctl_request(v->path, argv, 5000, out);

	fclose(out);
	return ret;
}

START_TEST(test_ctl_framing)
{
	char *const words[] = { "echo", "file=/tmp/my rules/sg one.json", "a\nb", "x=", NULL };
	char *const fail[] = { "fail", NULL };
	char *const unknown[] = { "nope", NULL };
	struct srv v;
	char *text;

	srv_start(&v);
	ck_assert_int_eq(ask(&v, words, &text), CTL_OK);
	ck_assert_str_eq(text, "[file=/tmp/my rules/sg one.json]\n[a\nb]\n[x=]\n");
	free(text);
	ck_assert_int_eq(ask(&v, fail, &text), CTL_ERR);
	ck_assert_str_eq(text, "refused\n");
	free(text);
	ck_assert_int_eq(ask(&v, unknown, &text), CTL_ERR);
	free(text);
	{
		/* A byte at a time: the words and the end are found across reads. */
		static const char req[] = "echo\0a b\0\0";
		int fd = raw_connect(v.path);
		size_t i;

		for (i = 0; i < sizeof(req) - 1; i++) {
			ck_assert_int_eq(send(fd, req + i, 1, MSG_NOSIGNAL), 1);
			usleep(2000);
		}
		ck_assert_str_eq(read_all(fd), "OK\n[a b]\n");
		close(fd);
	}
	srv_stop(&v);
	/* Nobody listens: the request was never sent. */
	ck_assert_int_eq(ask(&v, fail, &text), CTL_NO_ENGINE);
	free(text);
}
END_TEST

START_TEST(test_ctl_stall)
{
	char *const words[] = { "echo", "hi", NULL };
	int silent[CTL_MAX_CLIENTS + 8], trickler, big, i;
	static char junk[CTL_MAX_REQUEST + 1];
	uint64_t t0;
	struct srv v;
	char *text;

	srv_start(&v);
	/* More silent clients than the server serves at once. */
	for (i = 0; i < (int)ARRAY_SIZE(silent); i++)
		silent[i] = raw_connect(v.path);
	t0 = now_ms();
	ck_assert_int_eq(ask(&v, words, &text), CTL_OK);
	ck_assert_str_eq(text, "[hi]\n");
	free(text);
	ck_assert_uint_lt(now_ms() - t0, 1000);
	/* The first ones were closed to make room, and told why. */
	ck_assert_ptr_nonnull(strstr(read_all(silent[0]), "engine busy"));
	/* One deadline per request: a byte now and then does not extend it. */
	trickler = raw_connect(v.path);
	t0 = now_ms();
	for (i = 0; i < 20 && send(trickler, "e", 1, MSG_NOSIGNAL) == 1; i++) {
		struct pollfd p = { .fd = trickler, .events = POLLIN };

		if (poll(&p, 1, 300) > 0)
			break;		/* the server has spoken */
	}
	ck_assert_ptr_nonnull(strstr(read_all(trickler), "no complete request"));
	ck_assert_uint_lt(now_ms() - t0, CTL_REQUEST_DEADLINE_MS + 1500);
	/* Too large: refused, and the reason is readable though it was still sending. */
	big = raw_connect(v.path);
	memset(junk, 'x', sizeof(junk));
	ck_assert_int_eq(send(big, junk, sizeof(junk), MSG_NOSIGNAL), (ssize_t)sizeof(junk));
	ck_assert_ptr_nonnull(strstr(read_all(big), "too large"));
	for (i = 0; i < (int)ARRAY_SIZE(silent); i++)
		close(silent[i]);
	close(trickler);
	close(big);
	srv_stop(&v);
}
END_TEST

/* Sent, never answered: the outcome is unknown, not a failure, and not "no engine". */
START_TEST(test_ctl_timeout)
{
	char *const words[] = { "reload", NULL };
	char path[64], *text = NULL;
	size_t len = 0;
	uint64_t t0;
	FILE *out;
	int lfd, ret;

	snprintf(path, sizeof(path), "/tmp/check_ctl.%d.mute", (int)getpid());
	unlink(path);
	lfd = ctl_listen(path);			/* listens, never accepts */
	ck_assert_int_ge(lfd, 0);
	out = open_memstream(&text, &len);
	t0 = now_ms();
	ret = ctl_request(path, words, 300, out);
	ck_assert_int_eq(ret, CTL_UNKNOWN);
	ck_assert_int_eq(errno, ETIMEDOUT);
	ck_assert_uint_lt(now_ms() - t0, 3000);
	fclose(out);
	free(text);
	close(lfd);
	unlink(path);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ctl");
	TCase *tc = tcase_create("ctl");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_num_parse);
	tcase_add_test(tc, test_diag_summary);
	tcase_add_test(tc, test_read_regular);
	tcase_add_test(tc, test_ctl_framing);
	tcase_add_test(tc, test_ctl_stall);
	tcase_add_test(tc, test_ctl_timeout);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
