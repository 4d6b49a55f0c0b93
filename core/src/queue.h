/* SPDX-License-Identifier: MIT */
/*
 * A bounded multi-producer multi-consumer queue of pointers: listeners push
 * without blocking (a full queue refuses and the caller counts the drop),
 * replay pushes blocking, workers pop with a timeout. Closing wakes everyone.
 */
#ifndef VG_CORE_QUEUE_H
#define VG_CORE_QUEUE_H

#include <stddef.h>
#include <stdint.h>

struct queue;

/* A queue holding at most cap items; never NULL. */
struct queue *queue_new(size_t cap);
/* Free the queue; items still inside are not freed (drain first). */
void queue_free(struct queue *q);
/* Push without waiting: 0, or -1 when full or closed (the caller keeps the item). */
int queue_try_push(struct queue *q, void *item);
/* Push, waiting while full: 0, or -1 when the queue was closed. */
int queue_push(struct queue *q, void *item);
/*
 * Pop the oldest item, waiting up to timeout_ms (-1: forever). Returns the item,
 * or NULL on timeout or when the queue is closed and empty.
 */
void *queue_pop(struct queue *q, int timeout_ms);
/* Close: pushes fail from now on, pops drain what is left then return NULL. */
void queue_close(struct queue *q);
/* Items currently queued. */
size_t queue_len(struct queue *q);

#endif /* VG_CORE_QUEUE_H */
