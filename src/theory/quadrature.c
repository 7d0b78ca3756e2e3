/* Gauss-Legendre rules from LAPACK, and their composite form for Gaussian expectations
 * (see quadrature.h for why panels rather than Gauss-Hermite). */
#include "theory/quadrature.h"

#include <math.h>
#include <stddef.h>

#include "util/error.h"

/* LAPACK (shipped inside OpenBLAS): eigenvalues and eigenvectors of a symmetric
 * tridiagonal matrix. */
void dstev_(const char *jobz, const int *n, double *d, double *e, double *z, const int *ldz,
	    double *work, int *info);

/* The Gaussian's mass beyond this many standard deviations is below 1e-32. */
#define TAIL_SD 12.0
/* Every activation has its kink or its transition within a few units of z = 0, and its
 * exponential tails (sigmoid', tanh', softplus, elu) have faded by |z| = 40. */
static const double breakpoints[] = {-40.0, -6.0, 0.0, 6.0, 40.0};

int quadrature_init(struct quadrature *rule)
{
	/* The Jacobi matrix of the Legendre polynomials: zero diagonal, off-diagonal
	 * k / sqrt(4 k^2 - 1); its eigenvalues are the nodes, and twice the squared first
	 * components of its unit eigenvectors the weights (Golub and Welsch 1969). */
	int n = QUADRATURE_ORDER, info = 0;
	double diagonal[QUADRATURE_ORDER] = {0}, off[QUADRATURE_ORDER];
	double vectors[QUADRATURE_ORDER * QUADRATURE_ORDER], work[2 * QUADRATURE_ORDER];
	for (int k = 1; k < n; k++)
		off[k - 1] = k / sqrt(4.0 * k * k - 1);
	dstev_("V", &n, diagonal, off, vectors, &n, work, &info);
	if (info)
		return error("quadrature: LAPACK dstev failed (info %d)", info);
	for (int i = 0; i < n; i++) {
		rule->node[i] = diagonal[i];
		/* column-major: eigenvector i starts at vectors[i n] */
		rule->weight[i] = 2 * vectors[(size_t)i * n] * vectors[(size_t)i * n];
	}
	return 0;
}

/* Adds the points of panel [low, high] (in standard units t, Z = mean + sd t). */
static int add_panel(const struct quadrature *rule, double mean, double sd, double low,
		     double high, double *z, double *w, int count)
{
	double half = (high - low) / 2, middle = (high + low) / 2;
	for (int i = 0; i < QUADRATURE_ORDER; i++) {
		double t = middle + half * rule->node[i];
		z[count] = mean + sd * t;
		/* the standard normal density times the panel's Jacobian */
		w[count] = half * rule->weight[i] * exp(-0.5 * t * t) / sqrt(2 * M_PI);
		count++;
	}
	return count;
}

int quadrature_normal(const struct quadrature *rule, double mean, double sd, double *z,
		      double *w)
{
	if (!(sd > 0)) {
		z[0] = mean, w[0] = 1;
		return 1;
	}
	int count = 0;
	double low = -TAIL_SD;
	for (int i = 0; i < (int)(sizeof breakpoints / sizeof *breakpoints); i++) {
		double t = (breakpoints[i] - mean) / sd;
		if (t <= low || t >= TAIL_SD)
			continue;
		count = add_panel(rule, mean, sd, low, t, z, w, count);
		low = t;
	}
	return add_panel(rule, mean, sd, low, TAIL_SD, z, w, count);
}
