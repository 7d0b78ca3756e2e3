/* The bounded single-producer, single-consumer queue of row_queue.h: a mutex, one
 * condition variable per direction, on the monotonic clock. */
#include "db/row_queue.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/error.h"
#include "util/strbuf.h"

int row_queue_init(struct row_queue *queue, int capacity, int layer_count)
{
	memset(queue, 0, sizeof *queue);
	pthread_condattr_t monotonic;
	if (pthread_condattr_init(&monotonic) != 0)
		return error("cannot create the database writer's queue");
	int failed = pthread_condattr_setclock(&monotonic, CLOCK_MONOTONIC) != 0 ||
		     pthread_mutex_init(&queue->lock, NULL) != 0;
	if (!failed && pthread_cond_init(&queue->published_cond, &monotonic) != 0) {
		pthread_mutex_destroy(&queue->lock);
		failed = 1;
	}
	if (!failed && pthread_cond_init(&queue->released_cond, &monotonic) != 0) {
		pthread_cond_destroy(&queue->published_cond);
		pthread_mutex_destroy(&queue->lock);
		failed = 1;
	}
	pthread_condattr_destroy(&monotonic);
	if (failed)
		return error("cannot create the database writer's queue");
	size_t layers = (size_t)layer_count, blocks = layers + 1;
	queue->capacity = capacity;
	queue->slots = xcalloc((size_t)capacity, sizeof *queue->slots);
	queue->layer_buffer = xcalloc((size_t)capacity * layers, sizeof *queue->layer_buffer);
	queue->block_buffer = xcalloc((size_t)capacity * blocks, sizeof *queue->block_buffer);
	for (int i = 0; i < capacity; i++) {
		queue->slots[i].layers = queue->layer_buffer + (size_t)i * layers;
		queue->slots[i].blocks = queue->block_buffer + (size_t)i * blocks;
	}
	queue->ticked.loss = NAN;
	return 0;
}

void row_queue_free(struct row_queue *queue)
{
	if (!queue->slots)
		return;
	pthread_cond_destroy(&queue->released_cond);
	pthread_cond_destroy(&queue->published_cond);
	pthread_mutex_destroy(&queue->lock);
	free(queue->slots);
	free(queue->layer_buffer);
	free(queue->block_buffer);
	queue->slots = NULL;
}

struct queued *row_queue_reserve(struct row_queue *queue)
{
	pthread_mutex_lock(&queue->lock);
	if (queue->published - queue->released == queue->capacity) {
		queue->full_waits++;
		/* the consumer may be asleep until its deadline: the queue is more than half
		 * full, so it is due now */
		pthread_cond_signal(&queue->published_cond);
		while (queue->published - queue->released == queue->capacity)
			pthread_cond_wait(&queue->released_cond, &queue->lock);
	}
	struct queued *slot = &queue->slots[queue->published % queue->capacity];
	slot->progress = queue->ticked;
	pthread_mutex_unlock(&queue->lock);
	return slot;
}

void row_queue_publish(struct row_queue *queue, bool wait)
{
	pthread_mutex_lock(&queue->lock);
	int64_t number = ++queue->published;
	if (wait) {
		queue->awaited = true;
		pthread_cond_signal(&queue->published_cond);
		while (queue->released < number)
			pthread_cond_wait(&queue->released_cond, &queue->lock);
	} else if (queue->published - queue->released == queue->capacity / 2 + 1) {
		/* a consumer waiting for its deadline is woken once per half queue, which
		 * keeps the producer from waiting on a full queue while the deadline is far */
		pthread_cond_signal(&queue->published_cond);
	}
	pthread_mutex_unlock(&queue->lock);
}

void row_queue_tick(struct row_queue *queue, struct queue_progress progress)
{
	pthread_mutex_lock(&queue->lock);
	queue->ticked = progress;
	queue->ticked_at = queue->published;
	pthread_mutex_unlock(&queue->lock);
}

int row_queue_take(struct row_queue *queue, double deadline, int64_t *first)
{
	double whole;
	double fraction = modf(deadline, &whole);
	struct timespec until = {.tv_sec = (time_t)whole, .tv_nsec = (long)(fraction * 1e9)};
	pthread_mutex_lock(&queue->lock);
	while (!queue->awaited && queue->published - queue->released <= queue->capacity / 2)
		if (pthread_cond_timedwait(&queue->published_cond, &queue->lock, &until) ==
		    ETIMEDOUT)
			break;
	queue->awaited = false;
	*first = queue->released;
	int count = (int)(queue->published - queue->released);
	pthread_mutex_unlock(&queue->lock);
	return count;
}

struct queued *row_queue_at(struct row_queue *queue, int64_t index)
{
	return &queue->slots[index % queue->capacity];
}

struct queue_progress row_queue_progress(struct row_queue *queue, int64_t written)
{
	pthread_mutex_lock(&queue->lock);
	struct queue_progress progress = written >= queue->ticked_at
						 ? queue->ticked
						 : row_queue_at(queue, written)->progress;
	pthread_mutex_unlock(&queue->lock);
	return progress;
}

void row_queue_release(struct row_queue *queue, int count)
{
	pthread_mutex_lock(&queue->lock);
	queue->released += count;
	pthread_cond_broadcast(&queue->released_cond);
	pthread_mutex_unlock(&queue->lock);
}

int64_t row_queue_full_waits(struct row_queue *queue)
{
	pthread_mutex_lock(&queue->lock);
	int64_t waits = queue->full_waits;
	pthread_mutex_unlock(&queue->lock);
	return waits;
}
