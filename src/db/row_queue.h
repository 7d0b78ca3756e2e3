/* The bounded queue between a training thread and the thread that writes its rows into
 * SQLite (db/run_store.c): one producer, one consumer, a ring of messages whose buffers
 * are allocated once, so queueing a logged step copies its numbers and allocates
 * nothing. A full queue makes the producer wait; nothing is ever dropped.
 *
 * The producer reserves the next free slot, fills it outside the lock (the consumer
 * never reads a slot before it is published) and publishes it. The consumer takes every
 * published slot at once, writes them, then releases them. The producer's progress (the
 * steps done and the last loss it ticked) travels with the queue, so the consumer can
 * tell which progress its written rows account for. */
#ifndef GT_ROW_QUEUE_H
#define GT_ROW_QUEUE_H

#include <pthread.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include "db/records.h"

enum queued_kind {
	QUEUED_STEP,       /* a steps row and layer_count layer_stats rows */
	QUEUED_BLOCKS,     /* block_count block_stats rows */
	QUEUED_EVAL,       /* an evals row */
	QUEUED_CHECKPOINT, /* a checkpoint of the caller's parameters (the caller waits) */
	QUEUED_WRITE,      /* the caller's own rows, by its function (the caller waits) */
	QUEUED_COMMIT,     /* commit now (the caller waits) */
	QUEUED_STOP        /* commit and end the consumer (the caller waits) */
};

/* The producer's progress: steps done and the last loss. */
struct queue_progress {
	int64_t steps_done;
	double loss;
};

struct queued {
	enum queued_kind kind;
	int64_t step;
	struct queue_progress progress; /* as ticked when the message was reserved */
	struct layer_stats *layers;     /* (layer_count) buffer, for QUEUED_STEP */
	struct block_stats *blocks;     /* (layer_count + 1) buffer, for QUEUED_BLOCKS */
	union {
		struct {
			struct step_stats stats;
			double grad_norm, grad_norm_clipped, learning_rate, elapsed_s;
		} row;
		struct {
			const char *split; /* a string constant */
			double loss, accuracy;
			int64_t examples;
		} eval;
		int block_count;
		const struct layer_parameters *checkpoint; /* valid while the producer waits */
		struct {
			int (*function)(sqlite3 *db, void *context);
			void *context; /* valid while the producer waits */
		} write;
	} u;
};

struct row_queue {
	pthread_mutex_t lock;
	pthread_cond_t published_cond; /* the consumer waits here for messages */
	pthread_cond_t released_cond;  /* the producer waits here for free slots or results */
	struct queued *slots;          /* (capacity) */
	struct layer_stats *layer_buffer; /* (capacity, layer_count) */
	struct block_stats *block_buffer; /* (capacity, layer_count + 1) */
	int capacity;
	int64_t published; /* messages published since the start */
	int64_t released;  /* messages the consumer is done with */
	bool awaited;      /* a published message is waited for: take it at once */
	struct queue_progress ticked; /* the producer's latest progress */
	int64_t ticked_at; /* messages published when it was ticked */
	int64_t full_waits; /* how often the producer found the queue full */
};

/* Allocates capacity slots with buffers for layer_count layers. Returns -1 with a
 * message when the thread primitives cannot be made. */
int row_queue_init(struct row_queue *queue, int capacity, int layer_count);
void row_queue_free(struct row_queue *queue);

/* Producer: the next slot to fill, waiting while the queue is full. Allocates nothing. */
struct queued *row_queue_reserve(struct row_queue *queue);
/* Producer: publishes the reserved slot; with wait, returns once the consumer released
 * it (its rows written, or not, as the consumer reports elsewhere). */
void row_queue_publish(struct row_queue *queue, bool wait);
/* Producer: records the latest progress. */
void row_queue_tick(struct row_queue *queue, struct queue_progress progress);

/* Consumer: waits until a message is awaited, half the queue is filled, or the
 * monotonic clock reaches deadline; returns how many published messages start at
 * *first (0 at the deadline with none). */
int row_queue_take(struct row_queue *queue, double deadline, int64_t *first);
/* Consumer: message number `index` (from row_queue_take's *first on). */
struct queued *row_queue_at(struct row_queue *queue, int64_t index);
/* Consumer: the progress the rows of the first `written` messages account for: the
 * producer's latest when it ticked after them, else the progress queued with the next
 * message. */
struct queue_progress row_queue_progress(struct row_queue *queue, int64_t written);
/* How often the producer found the queue full and waited. */
int64_t row_queue_full_waits(struct row_queue *queue);

/* Consumer: frees the first `count` taken messages and wakes the producer. */
void row_queue_release(struct row_queue *queue, int count);

#endif
