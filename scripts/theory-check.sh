#!/bin/sh
# Measured against predicted: trains step 0 of a few setups for 30 seeds each and
# compares, per layer, the measured chi (||dL/dz_l||^2 / ||dL/dz_l+1||^2, averaged over
# the seeds) with the mean-field chi recorded in the predictions table, and the measured
# step-0 weight-gradient norms with the predicted ones.
#
#   scripts/theory-check.sh [GTRACK] [SEEDS] [DATA] [WIDTH]
#                       (defaults: build/gtrack, 30, blobs, 64)
#
# DATA is the data kind: blobs (clusters, one per class: the experiments' data) or
# gaussian (no structure). Prints one line per setup and layer, then per setup the mean
# absolute and the largest deviation of measured / predicted chi over its layers (the
# absolute one: signed deviations of different layers would cancel), and the mean of
# measured / predicted weight-gradient norm. Residual blocks are predicted for
# zero-mean activations only (linear, tanh without bias): relu's are not. Needs the sqlite3 shell.
set -eu
gtrack=${1:-build/gtrack}
seeds=${2:-30}
data=${3:-blobs}
width=${4:-64}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM

cat > "$work/base.yaml" <<'YAML'
data: {samples: 512, features: 16, classes: 4}
model: {depth: 10}
train: {steps: 1, batch_size: 64}
YAML

# name and --set options of each setup
setups='sigmoid-xavier|model.activation=sigmoid|model.init={scheme: xavier_normal}
tanh-1.5|model.activation=tanh|model.init={scheme: lecun_normal, gain: 1.2247449}
relu-he|model.activation=relu|model.init={scheme: he_normal}
leaky-relu-he|model.activation={kind: leaky_relu, slope: 0.2}|model.init={scheme: he_uniform}
elu-lecun|model.activation=elu|model.init={scheme: lecun_normal, gain: 1.5}
gelu-bias|model.activation=gelu|model.init={scheme: xavier_uniform, gain: 1.5, bias: 0.1}
silu-he|model.activation=silu|model.init={scheme: he_normal}
softplus-orthogonal|model.activation=softplus|model.init={scheme: orthogonal}
tanh-glorot-standard|model.activation=tanh|model.init={scheme: he_uniform, gain: 0.40824829}
linear-residual-branch|model.activation=linear|model.init={scheme: he_normal}|model.residual={alpha: 0.5, block: 1}
tanh-residual-block3|model.activation=tanh|model.init={scheme: xavier_normal}|model.residual={alpha: 1, block: 3}'

echo "$setups" | while IFS= read -r line; do
	name=${line%%|*}
	rest=${line#*|}
	set --
	while [ -n "$rest" ]; do
		option=${rest%%|*}
		set -- "$@" --set "$option"
		[ "$option" = "$rest" ] && rest= || rest=${rest#*|}
	done
	seed=1
	while [ "$seed" -le "$seeds" ]; do
		"$gtrack" run "$work/base.yaml" --db "$work/check.db" --quiet --name "$name" \
			--set "seed=$seed" --set "data.kind=$data" --set "model.width=$width" \
			"$@" > /dev/null
		seed=$((seed + 1))
	done
done

sqlite3 -header -column "$work/check.db" <<'SQL'
CREATE TEMP VIEW per_layer AS
SELECT r.name AS setup, s.layer,
       avg(s.delta_norm * s.delta_norm / (u.delta_norm * u.delta_norm)) AS measured_chi,
       avg(p.chi) AS predicted_chi,
       avg(s.weight_grad_norm / p.weight_grad_norm) AS weight_grad_ratio
FROM runs r
JOIN layer_stats s ON s.run_id = r.id AND s.step = 0
JOIN layer_stats u ON u.run_id = r.id AND u.step = 0 AND u.layer = s.layer + 1
JOIN predictions p ON p.run_id = r.id AND p.layer = s.layer
GROUP BY r.name, s.layer;

SELECT setup, layer, printf('%.4f', measured_chi) AS measured_chi,
       printf('%.4f', predicted_chi) AS predicted_chi,
       printf('%+.1f%%', 100 * (measured_chi / predicted_chi - 1)) AS chi_deviation,
       printf('%.3f', weight_grad_ratio) AS weight_grad_measured_over_predicted
FROM per_layer ORDER BY setup, layer;

SELECT setup, count(*) AS layers,
       printf('%.1f%%', 100 * avg(abs(measured_chi / predicted_chi - 1))) AS mean_abs_chi_deviation,
       printf('%.1f%%', 100 * max(abs(measured_chi / predicted_chi - 1))) AS largest_chi_deviation,
       printf('%.3f', avg(weight_grad_ratio)) AS mean_weight_grad_ratio
FROM per_layer GROUP BY setup ORDER BY setup;
SQL
