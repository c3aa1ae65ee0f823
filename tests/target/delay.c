/* Timer thread for delayed responses: a binary min-heap of (deadline,
 * connection) under one mutex. The thread sleeps until the earliest deadline
 * and resumes due connections outside the lock, so handlers never wait on it. */
#include "delay.h"

#include "error.h"

#include <errno.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

/* Due connections resumed per lock release; keeps lock hold times short. */
#define RESUME_BATCH 64

struct timer {
    uint64_t deadline_ns; /* CLOCK_MONOTONIC */
    struct MHD_Connection *conn;
};

struct hn_delay {
    pthread_mutex_t lock;
    pthread_cond_t wake; /* new earliest deadline, or shutdown */
    pthread_t thread;
    bool stopping;      /* refuse new suspensions; thread exits */
    bool joined;        /* hn_delay_shutdown has run */
    size_t n, capacity; /* heap size and room */
    struct timer *heap; /* heap[0] has the earliest deadline */
};

uint64_t hn_delay_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void swap(struct timer *a, struct timer *b)
{
    struct timer t = *a;
    *a = *b;
    *b = t;
}

static void heap_push(struct hn_delay *d, struct timer t)
{
    size_t i = d->n++;
    d->heap[i] = t;
    while (i > 0 && d->heap[(i - 1) / 2].deadline_ns > d->heap[i].deadline_ns) {
        swap(&d->heap[(i - 1) / 2], &d->heap[i]);
        i = (i - 1) / 2;
    }
}

static struct timer heap_pop(struct hn_delay *d)
{
    struct timer top = d->heap[0];
    d->heap[0] = d->heap[--d->n];
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, min = i;
        if (l < d->n && d->heap[l].deadline_ns < d->heap[min].deadline_ns)
            min = l;
        if (r < d->n && d->heap[r].deadline_ns < d->heap[min].deadline_ns)
            min = r;
        if (min == i)
            break;
        swap(&d->heap[i], &d->heap[min]);
        i = min;
    }
    return top;
}

static void *timer_main(void *arg)
{
    struct hn_delay *d = arg;
    struct MHD_Connection *due[RESUME_BATCH];

    pthread_mutex_lock(&d->lock);
    while (!d->stopping) {
        if (d->n == 0) {
            pthread_cond_wait(&d->wake, &d->lock);
            continue;
        }
        uint64_t now = hn_delay_now_ns();
        if (d->heap[0].deadline_ns > now) {
            uint64_t at = d->heap[0].deadline_ns;
            struct timespec ts = {.tv_sec = (time_t)(at / 1000000000u),
                                  .tv_nsec = (long)(at % 1000000000u)};
            pthread_cond_timedwait(&d->wake, &d->lock, &ts);
            continue;
        }
        size_t n = 0;
        while (n < RESUME_BATCH && d->n > 0 && d->heap[0].deadline_ns <= now)
            due[n++] = heap_pop(d).conn;
        pthread_mutex_unlock(&d->lock);
        for (size_t i = 0; i < n; i++)
            MHD_resume_connection(due[i]);
        pthread_mutex_lock(&d->lock);
    }
    pthread_mutex_unlock(&d->lock);
    return NULL;
}

int hn_delay_new(size_t capacity, struct hn_delay **out)
{
    struct hn_delay *d = calloc(1, sizeof(*d));
    if (d == NULL)
        return -ENOMEM;
    int rc = -ENOMEM;
    d->capacity = capacity;
    d->heap = calloc(capacity > 0 ? capacity : 1, sizeof(*d->heap));
    if (d->heap == NULL)
        goto fail_heap;

    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    rc = -pthread_cond_init(&d->wake, &attr);
    pthread_condattr_destroy(&attr);
    if (rc != 0)
        goto fail_cond;
    pthread_mutex_init(&d->lock, NULL);
    rc = -pthread_create(&d->thread, NULL, timer_main, d);
    if (rc != 0)
        goto fail_thread;
    *out = d;
    return 0;

fail_thread:
    pthread_mutex_destroy(&d->lock);
    pthread_cond_destroy(&d->wake);
fail_cond:
    free(d->heap);
fail_heap:
    free(d);
    return rc;
}

void hn_delay_shutdown(struct hn_delay *d)
{
    if (d->joined)
        return;
    pthread_mutex_lock(&d->lock);
    d->stopping = true;
    pthread_cond_signal(&d->wake);
    pthread_mutex_unlock(&d->lock);
    pthread_join(d->thread, NULL);
    d->joined = true;

    /* No one adds now (stopping is set), so the heap is ours. */
    for (size_t i = 0; i < d->n; i++)
        MHD_resume_connection(d->heap[i].conn);
    d->n = 0;
}

void hn_delay_free(struct hn_delay *d)
{
    if (d == NULL)
        return;
    hn_delay_shutdown(d);
    pthread_cond_destroy(&d->wake);
    pthread_mutex_destroy(&d->lock);
    free(d->heap);
    free(d);
}

int hn_delay_suspend(struct hn_delay *d, struct MHD_Connection *c, uint32_t delay_ms)
{
    struct timer t = {.deadline_ns = hn_delay_now_ns() + (uint64_t)delay_ms * 1000000u, .conn = c};
    int rc = 0;
    pthread_mutex_lock(&d->lock);
    if (d->stopping) {
        rc = HN_E_STATE;
    } else if (d->n == d->capacity) {
        rc = HN_E_TOO_LARGE;
    } else {
        /* Suspend before the timer can see it, so a resume never comes first. */
        MHD_suspend_connection(c);
        heap_push(d, t);
        if (d->heap[0].conn == c)
            pthread_cond_signal(&d->wake);
    }
    pthread_mutex_unlock(&d->lock);
    return rc;
}
