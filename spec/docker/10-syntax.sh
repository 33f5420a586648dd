#!/bin/bash
# Syntax and required fields of what the tests cannot run: the compose file, the Kubernetes
# manifests and the Swarm stack; shell syntax of the container scripts; Dockerfile rules.
# Needs no Docker engine. Each checker is also shown a broken copy that it must refuse.
. "$(dirname "$0")/../lib.sh"
D=$CW_ROOT/docker
M="perl $CW_ROOT/spec/docker/manifests.pl"

t_ok "compose.yaml: structure, required fields, the writer/replica split" $M compose "$D/compose.yaml"
t_ok "k8s/wallet.yaml: Deployments, Services, PVCs, the writer/replica split" $M k8s "$D/k8s/wallet.yaml"
t_ok "k8s/app-pod.yaml: Pod fields" $M k8s "$D/k8s/app-pod.yaml"
t_ok "k8s/app-rotation.yaml: the init-container and sidecar Pods" $M k8s "$D/k8s/app-rotation.yaml"
t_ok "swarm/stack.yaml: services, secrets, the writer/replica split" $M swarm "$D/swarm/stack.yaml"

# The checkers can fail: a selector that matches no template, a mount of an undeclared
# volume, a flow-style list, a secret that is not declared.
awk '/^kind: Service/ { svc = 1 } svc { sub(/component: replica$/, "component: srv") } { print }' \
	"$D/k8s/wallet.yaml" >"$T_DIR/bad-k8s.yaml"
t_exit "a Service selecting nothing is refused" 1 $M k8s "$T_DIR/bad-k8s.yaml"
sed '0,/name: wallet-client$/s//name: wallet-clients/' "$D/k8s/app-pod.yaml" >"$T_DIR/bad-pod.yaml"
t_exit "a mount of an undeclared volume is refused" 1 $M k8s "$T_DIR/bad-pod.yaml"
perl -0pe 's/(name: wallet-sidecar\n.*?- name: )secrets/${1}secret/s' "$D/k8s/app-rotation.yaml" >"$T_DIR/bad-sidecar.yaml"
t_exit "...also in an init container or a sidecar" 1 $M k8s "$T_DIR/bad-sidecar.yaml"
perl -0pe 's/cap_drop:\n +- ALL/cap_drop: [ALL]/' "$D/compose.yaml" >"$T_DIR/bad-compose.yaml"
t_exit "a flow-style value is refused" 1 $M compose "$T_DIR/bad-compose.yaml"
sed 's/source: app1_gpg_key$/source: app2_gpg_key/' "$D/swarm/stack.yaml" >"$T_DIR/bad-stack.yaml"
t_exit "an undeclared swarm secret is refused" 1 $M swarm "$T_DIR/bad-stack.yaml"
# The writer/replica split: a replica that could write the export, or that holds the
# writer's data (its signing key), is refused; so is a stack without a writer.
perl -0pe 's/(  replica1:.*?target: \/export\n        read_only: )true/${1}false/s' "$D/compose.yaml" >"$T_DIR/bad-rw.yaml"
t_exit "a compose replica mounting the export read-write is refused" 1 $M compose "$T_DIR/bad-rw.yaml"
perl -0pe 's/(  replica2:.*?source: )wallet-export/${1}wallet-data/s' "$D/compose.yaml" >"$T_DIR/bad-data.yaml"
t_exit "a compose replica serving the writer's data volume is refused" 1 $M compose "$T_DIR/bad-data.yaml"
perl -0pe 's/(claimName: wallet-export\n            readOnly: )true/${1}false/' "$D/k8s/wallet.yaml" >"$T_DIR/bad-k8s-rw.yaml"
t_exit "a k8s replica with a writable export claim is refused" 1 $M k8s "$T_DIR/bad-k8s-rw.yaml"
sed 's|^            - /export/wallet$|            - /export|' "$D/k8s/wallet.yaml" >"$T_DIR/bad-k8s-dir.yaml"
t_exit "a k8s replica serving another directory than the writer's export is refused" 1 $M k8s "$T_DIR/bad-k8s-dir.yaml"
perl -0pe 's/(  wallet:\n.*?source: )wallet-export/${1}wallet-data/s' "$D/swarm/stack.yaml" >"$T_DIR/bad-stack-data.yaml"
t_exit "a swarm replica serving the writer's data volume is refused" 1 $M swarm "$T_DIR/bad-stack-data.yaml"
perl -0pe 's/(  wallet-writer:\n.*?)      WALLET_EXPORT: [^\n]*\n/$1/s' "$D/swarm/stack.yaml" >"$T_DIR/bad-stack-nowriter.yaml"
t_exit "a swarm stack without a writer (WALLET_EXPORT) is refused" 1 $M swarm "$T_DIR/bad-stack-nowriter.yaml"

# A full YAML parser, where the machine has one, must read the same structure.
if python3 -c 'import yaml' 2>/dev/null; then
	for f in compose.yaml k8s/wallet.yaml k8s/app-pod.yaml k8s/app-rotation.yaml swarm/stack.yaml; do
		py=$(python3 -c 'import sys, yaml, json
print(json.dumps(list(yaml.load_all(open(sys.argv[1]), Loader=yaml.BaseLoader)), sort_keys=True, separators=(",", ":")))' "$D/$f" 2>&1)
				# An empty value is "" to BaseLoader and undef to CPAN::Meta::YAML.
		pl=$(perl -MCPAN::Meta::YAML -MJSON::PP -e 'my $y = CPAN::Meta::YAML->read($ARGV[0]) or die;
sub n { my $x = shift; ref $x eq "HASH" ? { map { $_ => n($x->{$_}) } keys %$x } : ref $x eq "ARRAY" ? [map { n($_) } @$x] : $x // "" }
print JSON::PP->new->canonical->encode([map { n($_) } grep { defined } @$y]), "\n"' "$D/$f" 2>&1)
		t_cond "$f reads the same with PyYAML" "$py" = "$pl"
	done
else
	echo "# python3-yaml not installed: PyYAML cross-check skipped"
fi
# Compose itself validates the file (scripts/deps.sh docker installs Debian's docker-compose).
compose_checked=0
for c in "docker compose" docker-compose; do
	if $c version >/dev/null 2>&1; then
		t_ok "$c config accepts compose.yaml" env WALLET_KEYS="$T_DIR" $c -f "$D/compose.yaml" config -q
		compose_checked=1
		break
	fi
done
t_cond "compose.yaml was checked by Compose itself" "$compose_checked" = 1
# The Vagrantfile cannot run here (no virtualisation); its Ruby must at least parse.
t_ok "ruby -c Vagrantfile" ruby -c "$CW_ROOT/Vagrantfile"
t_grep "... Syntax OK" "Syntax OK" "$T_DIR/last.out"

for s in scripts/docker-engine.sh scripts/docker-base.sh scripts/docker-demo.sh docker/stage.sh \
	docker/wallet-docker-entrypoint docker/wallet-healthcheck docker/example-app/show-secret \
	docker/buildtime-example/use-pip-conf docker/compose-demo.sh spec/docker/lib.bash spec/docker/*.sh; do
	case "$s" in *.sh | *.bash | *healthcheck) sh=bash ;; *) sh=sh ;; esac
	t_ok "$sh -n $s" $sh -n "$CW_ROOT/$s"
done
for f in "$D/Dockerfile" "$D/example-app/Dockerfile" "$D/buildtime-example/Dockerfile"; do
	n=${f#"$CW_ROOT/"}
	# A `# syntax=` line would make BuildKit pull a frontend image (no registry here).
	t_exit "$n has no '# syntax=' line" 1 grep -qi '^# *syntax *=' "$f"
	t_grep "$n takes its base image as a build argument" 'ARG ' "$f"
done
t_grep "the wallet image runs as a fixed non-root UID" 'USER 10001:10001' "$D/Dockerfile"
t_grep "the wallet image has a HEALTHCHECK" 'HEALTHCHECK' "$D/Dockerfile"
t_grep "the wallet's data directory is a VOLUME" 'VOLUME /var/lib/wallet' "$D/Dockerfile"
t_exit "no key or certificate is copied into an image" 1 grep -qiE '^(COPY|ADD).*\.(key|crt|pem|asc)' \
	"$D/Dockerfile" "$D/example-app/Dockerfile" "$D/buildtime-example/Dockerfile"
