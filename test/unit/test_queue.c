/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the bounded MPMC queue: capacity, FIFO order, blocking push,
 * pop timeouts, close semantics, and a many-producer many-consumer stress run
 * checking that every item is seen exactly once.
 */
#include <CUnit/CUnit.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

#include "queue.h"
#include "util.h"

#define STRESS_PRODUCERS 4
#define STRESS_CONSUMERS 2
#define STRESS_ITEMS     200000

/* Item n is the address of slot n, so items are distinct non-NULL pointers. */
static char slots[STRESS_ITEMS];

static void *item(uintptr_t n)
{
    return &slots[n];
}

static uintptr_t item_no(void *p)
{
    return (uintptr_t)((char *)p - slots);
}

static void test_capacity(void)
{
    struct queue *q = queue_new(3);
    int i;

    for (i = 0; i < 3; i++) {
        CU_ASSERT_EQUAL(queue_try_push(q, item((uintptr_t)i)), 0);
    }
    CU_ASSERT_EQUAL(queue_len(q), 3);
    CU_ASSERT_EQUAL(queue_try_push(q, item(99)), -1);
    CU_ASSERT_EQUAL(queue_len(q), 3);
    CU_ASSERT_EQUAL(item_no(queue_pop(q, 0)), 0);
    CU_ASSERT_EQUAL(queue_try_push(q, item(3)), 0);
    CU_ASSERT_EQUAL(queue_try_push(q, item(4)), -1);
    for (i = 1; i <= 3; i++) {
        CU_ASSERT_EQUAL(item_no(queue_pop(q, 0)), (uintptr_t)i);
    }
    CU_ASSERT_PTR_NULL(queue_pop(q, 0));
    CU_ASSERT_EQUAL(queue_len(q), 0);
    queue_free(q);
}

static void test_fifo_wraparound(void)
{
    struct queue *q = queue_new(5);
    uintptr_t next_in = 0;
    uintptr_t next_out = 0;
    int round;

    /* Uneven push/pop counts walk the ring position through every slot. */
    for (round = 0; round < 50; round++) {
        int k;

        for (k = 0; k < 1 + round % 4 && queue_len(q) < 5; k++) {
            CU_ASSERT_EQUAL(queue_try_push(q, item(next_in++)), 0);
        }
        for (k = 0; k < 1 + round % 3; k++) {
            void *p = queue_pop(q, 0);

            if (p == NULL) {
                break;
            }
            CU_ASSERT_EQUAL(item_no(p), next_out++);
        }
    }
    while (queue_len(q) > 0) {
        CU_ASSERT_EQUAL(item_no(queue_pop(q, 0)), next_out++);
    }
    CU_ASSERT_EQUAL(next_in, next_out);
    CU_ASSERT(next_in > 50);
    queue_free(q);
}

struct pusher {
    struct queue *q; /* queue pushed to */
    atomic_int done; /* 1 once queue_push returned */
    int rc;          /* what queue_push returned */
};

static void *push_thread(void *arg)
{
    struct pusher *p = arg;

    p->rc = queue_push(p->q, item(7));
    atomic_store(&p->done, 1);
    return NULL;
}

/* Let other threads run for ms (used only to check that something does NOT happen). */
static void pause_ms(int ms)
{
    struct queue *idle = queue_new(1);

    CU_ASSERT_PTR_NULL(queue_pop(idle, ms));
    queue_free(idle);
}

static void test_blocking_push(void)
{
    struct pusher p = {.q = queue_new(1)};
    pthread_t th;

    CU_ASSERT_EQUAL(queue_try_push(p.q, item(1)), 0);
    CU_ASSERT_EQUAL_FATAL(pthread_create(&th, NULL, push_thread, &p), 0);
    /* The pusher must stay blocked while the queue is full... */
    pause_ms(100);
    CU_ASSERT_EQUAL(atomic_load(&p.done), 0);
    CU_ASSERT_EQUAL(queue_len(p.q), 1);
    /* ...and be released by a pop. */
    CU_ASSERT_EQUAL(item_no(queue_pop(p.q, 0)), 1);
    pthread_join(th, NULL);
    CU_ASSERT_EQUAL(atomic_load(&p.done), 1);
    CU_ASSERT_EQUAL(p.rc, 0);
    CU_ASSERT_EQUAL(item_no(queue_pop(p.q, 0)), 7);
    queue_free(p.q);
}

static void test_pop_timeout(void)
{
    struct queue *q = queue_new(4);
    int64_t t0 = time_mono_ms();
    int64_t took;

    CU_ASSERT_PTR_NULL(queue_pop(q, 150));
    took = time_mono_ms() - t0;
    CU_ASSERT(took >= 145);
    CU_ASSERT(took < 1000);
    t0 = time_mono_ms();
    CU_ASSERT_PTR_NULL(queue_pop(q, 0));
    CU_ASSERT(time_mono_ms() - t0 < 50);
    queue_free(q);
}

struct popper {
    struct queue *q; /* queue popped from */
    void *got;       /* what queue_pop returned */
    atomic_int done; /* 1 once queue_pop returned */
};

static void *pop_thread(void *arg)
{
    struct popper *p = arg;

    p->got = queue_pop(p->q, -1);
    atomic_store(&p->done, 1);
    return NULL;
}

static void test_close_wakes(void)
{
    struct popper p = {.q = queue_new(2)};
    struct pusher pu = {0};
    pthread_t th;
    pthread_t th2;
    int64_t t0;

    CU_ASSERT_EQUAL_FATAL(pthread_create(&th, NULL, pop_thread, &p), 0);
    pause_ms(50);
    CU_ASSERT_EQUAL(atomic_load(&p.done), 0);
    t0 = time_mono_ms();
    queue_close(p.q);
    pthread_join(th, NULL);
    CU_ASSERT(time_mono_ms() - t0 < 1000);
    CU_ASSERT_PTR_NULL(p.got);
    CU_ASSERT_EQUAL(queue_try_push(p.q, item(1)), -1);
    CU_ASSERT_EQUAL(queue_push(p.q, item(1)), -1);
    queue_free(p.q);

    /* Items queued before the close are still handed out; a blocked pusher fails. */
    pu.q = queue_new(1);
    CU_ASSERT_EQUAL(queue_try_push(pu.q, item(5)), 0);
    CU_ASSERT_EQUAL_FATAL(pthread_create(&th2, NULL, push_thread, &pu), 0);
    queue_close(pu.q);
    pthread_join(th2, NULL);
    CU_ASSERT_EQUAL(pu.rc, -1);
    CU_ASSERT_EQUAL(item_no(queue_pop(pu.q, -1)), 5);
    CU_ASSERT_PTR_NULL(queue_pop(pu.q, -1));
    queue_free(pu.q);
}

struct stress {
    struct queue *q;          /* the shared queue */
    atomic_int next_producer; /* hands out producer numbers */
    unsigned char *seen;      /* per item: times popped */
    atomic_ullong popped;     /* items popped in total */
    atomic_int dup;           /* items popped more than once */
};

static void *stress_producer(void *arg)
{
    struct stress *s = arg;
    int id = atomic_fetch_add(&s->next_producer, 1);
    uintptr_t per = STRESS_ITEMS / STRESS_PRODUCERS;
    uintptr_t i;

    for (i = 0; i < per; i++) {
        uintptr_t n = (uintptr_t)id * per + i;

        /* Mix both push flavours; try_push falls back to the blocking one. */
        if (i % 2 == 0 || queue_try_push(s->q, item(n)) != 0) {
            CU_ASSERT_EQUAL(queue_push(s->q, item(n)), 0);
        }
    }
    return NULL;
}

static void *stress_consumer(void *arg)
{
    struct stress *s = arg;
    void *p;

    while ((p = queue_pop(s->q, -1)) != NULL) {
        uintptr_t n = item_no(p);

        /* Each item is popped by exactly one consumer, so no race on its byte. */
        if (n >= STRESS_ITEMS || s->seen[n]++ != 0) {
            atomic_fetch_add(&s->dup, 1);
        }
        atomic_fetch_add(&s->popped, 1);
    }
    return NULL;
}

static void test_stress(void)
{
    struct stress s = {.q = queue_new(64)};
    pthread_t prod[STRESS_PRODUCERS];
    pthread_t cons[STRESS_CONSUMERS];
    size_t missing = 0;
    int i;

    s.seen = xcalloc(STRESS_ITEMS, 1);
    for (i = 0; i < STRESS_CONSUMERS; i++) {
        CU_ASSERT_EQUAL_FATAL(pthread_create(&cons[i], NULL, stress_consumer, &s), 0);
    }
    for (i = 0; i < STRESS_PRODUCERS; i++) {
        CU_ASSERT_EQUAL_FATAL(pthread_create(&prod[i], NULL, stress_producer, &s), 0);
    }
    for (i = 0; i < STRESS_PRODUCERS; i++) {
        pthread_join(prod[i], NULL);
    }
    queue_close(s.q);
    for (i = 0; i < STRESS_CONSUMERS; i++) {
        pthread_join(cons[i], NULL);
    }
    for (i = 0; i < STRESS_ITEMS; i++) {
        missing += s.seen[i] == 0;
    }
    CU_ASSERT_EQUAL(atomic_load(&s.popped), STRESS_ITEMS);
    CU_ASSERT_EQUAL(atomic_load(&s.dup), 0);
    CU_ASSERT_EQUAL(missing, 0);
    CU_ASSERT_EQUAL(queue_len(s.q), 0);
    free(s.seen);
    queue_free(s.q);
}

void suite_queue(void);
void suite_queue(void)
{
    CU_pSuite s = CU_add_suite("queue", NULL, NULL);

    CU_add_test(s, "capacity", test_capacity);
    CU_add_test(s, "fifo_wraparound", test_fifo_wraparound);
    CU_add_test(s, "blocking_push", test_blocking_push);
    CU_add_test(s, "pop_timeout", test_pop_timeout);
    CU_add_test(s, "close_wakes", test_close_wakes);
    CU_add_test(s, "stress", test_stress);
}
