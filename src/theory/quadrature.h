/* Expectations over a Gaussian, E[g(Z)] with Z ~ N(mean, sd^2), as weighted sums of g at
 * a few hundred points: what the mean-field theory integrates every activation with.
 *
 * The rule is composite Gauss-Legendre over mean +- 12 sd (the mass outside is below
 * 1e-32), in panels that break at z = -40, -6, 0, 6 and 40. Gauss-Hermite, the textbook
 * choice, converges slowly where the integrand is not smooth: relu's derivative is a
 * step at 0, and with a bias (z ~ N(0.3, 1)) Gauss-Hermite gives P(z > 0) = 0.638 with
 * 80 nodes and 0.598 with 160, for 0.6179; sigmoid at sd 10 changes within a sliver of
 * the Gaussian's width, and 160 nodes give E[s'^2] 9% low.
 * Breaking the panels where every activation gtrack has changes character (its kink or
 * its transition at 0, within a few units of it) makes each panel's integrand smooth
 * and well resolved, whatever mean and sd are. */
#ifndef GT_QUADRATURE_H
#define GT_QUADRATURE_H

/* Gauss-Legendre nodes per panel. 48 integrate the reference values and the closed
 * forms of tests/test_theory.c to 1e-12 (the tests assert 1e-9). */
#define QUADRATURE_ORDER 48
#define QUADRATURE_MAX_POINTS (6 * QUADRATURE_ORDER)

/* Gauss-Legendre nodes and weights on [-1, 1]. */
struct quadrature {
	double node[QUADRATURE_ORDER];
	double weight[QUADRATURE_ORDER];
};

/* Computes the rule (Golub-Welsch: the eigenvalues of the Jacobi matrix, LAPACK's dstev).
 * Returns 0, or -1 with a message if LAPACK fails. */
int quadrature_init(struct quadrature *rule);

/* Fills points z and weights w (QUADRATURE_MAX_POINTS at most) so that
 * E[g(Z)] = sum w[i] g(z[i]) for Z ~ N(mean, sd^2), and returns their count. sd 0 gives
 * the single point mean. */
int quadrature_normal(const struct quadrature *rule, double mean, double sd, double *z,
		      double *w);

#endif
