/*
 * The queue's message handling without its socket, for queue.c and the
 * white-box unit tests (tests/check_queue.c): what is answered, and how,
 * for datagrams the test builds byte by byte. Not part of any interface.
 */
#ifndef VPCFW_QUEUE_INT_H
#define VPCFW_QUEUE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "queue.h"

/* A queue with its buffers and no socket yet (queue_open adds it). Free with queue_close. */
struct queue *queue_alloc(const struct queue_opts *o);

/*
 * One datagram read while waiting for the answer to the current config
 * message: 1 with *err the kernel's errno (0: success) when it holds that
 * answer, 0 when not; packet messages in it are kept for queue_process().
 * -1 when out of memory.
 */
int queue_config_answer(struct queue *q, const uint8_t *buf, size_t len,
			bool cut, int *err);

/* The datagrams kept that way, not yet judged. */
size_t queue_held_count(const struct queue *q);

/*
 * Stage a verdict for every packet message in buf (len bytes; `cut`: the
 * datagram was longer than the buffer). Returns the packets answered.
 */
unsigned queue_handle_datagram(struct queue *q, uint8_t *buf, size_t len,
			       bool cut, const struct queue_handler *h);

/* The verdict messages staged and not yet sent (the open run closed first). */
const uint8_t *queue_staged(struct queue *q, size_t *len);

#endif
