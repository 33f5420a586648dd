#!/bin/bash
# `make docker-demo` runs the whole containerised flow and says that the application got
# the secret and that the secret reached no image. Its images get this run's prefix and are
# removed afterwards; it uses this suite's engine and base image.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib.bash"

docker_up
for t in wallet wallet-entry wallet-keygen example-app; do at_exit "$DOCKER rmi -f $CW_ID/$t"; done
port=$(pick_port)
hport=$(pick_port)
while [ "$hport" = "$port" ]; do hport=$(pick_port); done
t_ok "make docker-demo" env CW_IMAGE_PREFIX="$CW_ID" CW_DOCKER_BASE="$CW_DOCKER_BASE" \
	CW_DEMO_PORT="$port" CW_DEMO_HEALTH_PORT="$hport" make -s -C "$CW_ROOT" docker-demo
cp "$T_DIR/last.out" "$T_DIR/demo.out"
sed 's/^/# | /' "$T_DIR/demo.out" | tail -n 30
t_grep "the demo's application got the stored secret" "=> the application got exactly the stored secret" "$T_DIR/demo.out"
t_grep "the demo searched the image and found no secret" "the secret is in none of" "$T_DIR/demo.out"
t_grep "the demo shows the docker exec commands" "docker exec -i" "$T_DIR/demo.out"
t_cond "the demo removed its containers" -z "$(dk ps -aq --filter "name=cwdemo")"
