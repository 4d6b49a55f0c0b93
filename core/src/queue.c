/* SPDX-License-Identifier: MIT */
/*
 * The bounded MPMC pointer queue: a ring buffer guarded by one mutex, with one
 * condition variable for "not empty" (poppers) and one for "not full" (blocking
 * pushers). Both condition variables use CLOCK_MONOTONIC so a pop timeout is not
 * disturbed by wall-clock steps.
 */
#include "queue.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "util.h"

struct queue {
    pthread_mutex_t lock;     /* guards every member below */
    pthread_cond_t not_empty; /* signalled when an item is pushed or on close */
    pthread_cond_t not_full;  /* signalled when an item is popped or on close */
    void **items;             /* ring of cap slots */
    size_t cap;               /* slots in items */
    size_t head;              /* index of the oldest item */
    size_t count;             /* items queued */
    int closed;               /* 1 after queue_close */
};

static void cond_init_mono(pthread_cond_t *c)
{
    pthread_condattr_t attr;

    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(c, &attr);
    pthread_condattr_destroy(&attr);
}

/*
 * Allocate a queue of cap slots (a cap of 0 is raised to 1). Never returns NULL:
 * allocation failure aborts. Safe to share between any number of threads.
 */
struct queue *queue_new(size_t cap)
{
    struct queue *q = xcalloc(1, sizeof(*q));

    if (cap == 0) {
        cap = 1;
    }
    q->items = xcalloc(cap, sizeof(*q->items));
    q->cap = cap;
    pthread_mutex_init(&q->lock, NULL);
    cond_init_mono(&q->not_empty);
    cond_init_mono(&q->not_full);
    return q;
}

/*
 * Free the queue. No thread may still use it; items left inside are the caller's
 * and are not freed. NULL is ignored.
 */
void queue_free(struct queue *q)
{
    if (q == NULL) {
        return;
    }
    pthread_cond_destroy(&q->not_full);
    pthread_cond_destroy(&q->not_empty);
    pthread_mutex_destroy(&q->lock);
    free(q->items);
    free(q);
}

/* Store item at the tail; the lock is held and there is room. */
static void put(struct queue *q, void *item)
{
    q->items[(q->head + q->count) % q->cap] = item;
    q->count++;
    pthread_cond_signal(&q->not_empty);
}

/*
 * Push without waiting. Returns 0 when the queue took the item, -1 when it is
 * full or closed, in which case the caller still owns the item.
 */
int queue_try_push(struct queue *q, void *item)
{
    int rc = -1;

    pthread_mutex_lock(&q->lock);
    if (!q->closed && q->count < q->cap) {
        put(q, item);
        rc = 0;
    }
    pthread_mutex_unlock(&q->lock);
    return rc;
}

/*
 * Push, waiting as long as the queue is full. Returns 0 when the item was taken,
 * -1 when the queue is or becomes closed (the caller keeps the item).
 */
int queue_push(struct queue *q, void *item)
{
    int rc = -1;

    pthread_mutex_lock(&q->lock);
    while (!q->closed && q->count == q->cap) {
        pthread_cond_wait(&q->not_full, &q->lock);
    }
    if (!q->closed) {
        put(q, item);
        rc = 0;
    }
    pthread_mutex_unlock(&q->lock);
    return rc;
}

static void deadline_after(struct timespec *ts, int timeout_ms)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
    ts->tv_sec += timeout_ms / 1000;
    ts->tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

/*
 * Pop the oldest item, waiting up to timeout_ms (0: do not wait, negative: wait
 * forever). Returns the item, now owned by the caller, or NULL on timeout or when
 * the queue is closed and empty. Items pushed before queue_close are still
 * handed out after it.
 */
void *queue_pop(struct queue *q, int timeout_ms)
{
    struct timespec deadline;
    void *item = NULL;

    if (timeout_ms > 0) {
        deadline_after(&deadline, timeout_ms);
    }
    pthread_mutex_lock(&q->lock);
    while (q->count == 0 && !q->closed && timeout_ms != 0) {
        if (timeout_ms < 0) {
            pthread_cond_wait(&q->not_empty, &q->lock);
        } else if (pthread_cond_timedwait(&q->not_empty, &q->lock, &deadline) == ETIMEDOUT) {
            break;
        }
    }
    if (q->count > 0) {
        item = q->items[q->head];
        q->items[q->head] = NULL;
        q->head = (q->head + 1) % q->cap;
        q->count--;
        pthread_cond_signal(&q->not_full);
    }
    pthread_mutex_unlock(&q->lock);
    return item;
}

/*
 * Close the queue: every push fails from now on, blocked pushers return -1 and
 * blocked poppers drain what is left, then get NULL. Closing twice is harmless.
 */
void queue_close(struct queue *q)
{
    pthread_mutex_lock(&q->lock);
    q->closed = 1;
    pthread_cond_broadcast(&q->not_empty);
    pthread_cond_broadcast(&q->not_full);
    pthread_mutex_unlock(&q->lock);
}

/* The number of items queued right now (a snapshot; other threads may change it). */
size_t queue_len(struct queue *q)
{
    size_t n;

    pthread_mutex_lock(&q->lock);
    n = q->count;
    pthread_mutex_unlock(&q->lock);
    return n;
}
