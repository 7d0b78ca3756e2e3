/* The machine's sgemm rate at a training step's shapes, the yardstick for gtrack's
 * GFLOP/s in bench/run.sh.
 *
 *   sgemm_probe BATCH WIDTH THREADS...
 *
 * For each thread count it times, with OpenBLAS, the three products one square linear
 * layer (WIDTH x WIDTH) makes per training step at BATCH rows (row-major, as gtrack
 * stores them): Z = X W^T, dW = dZ^T X and dX = dZ W, 6 BATCH WIDTH^2 flops together,
 * and prints "THREADS GFLOP/s" per line: the best of several rounds, since on a shared
 * machine the fastest round is the one least disturbed. */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* Each round repeats the three products for at least this long, so one round is far
 * above the clock's resolution and OpenBLAS's thread start-up. */
#define ROUND_SECONDS 0.2
#define ROUNDS 5

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static float *random_matrix(size_t count, unsigned *state)
{
	float *m = malloc(count * sizeof *m);
	if (!m)
		return NULL;
	for (size_t i = 0; i < count; i++)
		m[i] = (float)rand_r(state) / (float)RAND_MAX - 0.5f;
	return m;
}

/* One layer's forward and backward products. */
static void layer_products(int batch, int width, const float *x, const float *w,
			   const float *dz, float *z, float *dw, float *dx)
{
	/* Z = X W^T: (batch, width) = (batch, width) (width, width)^T */
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, batch, width, width, 1.0f, x,
		    width, w, width, 0.0f, z, width);
	/* dW = dZ^T X: (width, width) = (batch, width)^T (batch, width) */
	cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, width, width, batch, 1.0f, dz,
		    width, x, width, 0.0f, dw, width);
	/* dX = dZ W: (batch, width) = (batch, width) (width, width) */
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, batch, width, width, 1.0f, dz,
		    width, w, width, 0.0f, dx, width);
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: sgemm_probe BATCH WIDTH THREADS...\n");
		return 2;
	}
	int batch = atoi(argv[1]), width = atoi(argv[2]);
	if (batch <= 0 || width <= 0) {
		fprintf(stderr, "sgemm_probe: BATCH and WIDTH must be positive integers\n");
		return 2;
	}
	size_t activations = (size_t)batch * (size_t)width;
	size_t weights = (size_t)width * (size_t)width;
	unsigned state = 1;
	float *x = random_matrix(activations, &state), *dz = random_matrix(activations, &state);
	float *w = random_matrix(weights, &state), *dw = random_matrix(weights, &state);
	float *z = random_matrix(activations, &state), *dx = random_matrix(activations, &state);
	int status = 1;
	if (!x || !dz || !w || !dw || !z || !dx) {
		fprintf(stderr, "sgemm_probe: out of memory\n");
		goto done;
	}
	double flops = 6.0 * (double)batch * (double)width * (double)width;
	for (int a = 3; a < argc; a++) {
		int threads = atoi(argv[a]);
		if (threads <= 0) {
			fprintf(stderr, "sgemm_probe: '%s' is not a thread count\n", argv[a]);
			goto done;
		}
		openblas_set_num_threads(threads);
		layer_products(batch, width, x, w, dz, z, dw, dx); /* threads started, caches warm */
		double best = 0;
		for (int round = 0; round < ROUNDS; round++) {
			long repeats = 0;
			double start = now(), elapsed;
			do {
				layer_products(batch, width, x, w, dz, z, dw, dx);
				repeats++;
			} while ((elapsed = now() - start) < ROUND_SECONDS);
			double rate = flops * (double)repeats / elapsed / 1e9;
			if (rate > best)
				best = rate;
		}
		printf("%d %.1f\n", threads, best);
	}
	status = fflush(stdout) == 0 ? 0 : 1;
done:
	free(x);
	free(dz);
	free(w);
	free(dw);
	free(z);
	free(dx);
	return status;
}
