# A static HTTPS mirror for the system tests: nginx serving a directory as plain files over
# mutual TLS (client certificates from the deployment's CA required, no per-client
# authorization), as an operator would put an export behind any file server. Every file is
# served as text/plain: clients must not care about Content-Type.
#   mirror_start DOCROOT KEYS   starts nginx on a free 127.0.0.1 port with KEYS/wallet/server.*
#                               and KEYS/ca/ca.crt; sets MIRROR_PORT; stopped at exit.
#                               MIRROR_HTTP_EXTRA: more directives for its http block
mirror_start() {
	local root=$1 keys=$2 d try
	d=$(mktemp -d "$T_DIR/nginx.XXXXXX")
	mkdir -p "$d/logs" "$d/tmp"
	for try in 1 2 3; do
		MIRROR_PORT=$(pick_port)
		cat >"$d/nginx.conf" <<-CONF
		user root;
		worker_processes 1;
		daemon off;
		pid $d/nginx.pid;
		error_log $d/logs/error.log warn;
		events { worker_connections 256; }
		http {
			# the combined format, and whether the TLS session was resumed ("r") at the end
			log_format cw '\$remote_addr - \$remote_user [\$time_local] "\$request" \$status '
				'\$body_bytes_sent "\$http_referer" "\$http_user_agent" tls=\$ssl_session_reused';
			access_log $d/logs/access.log cw;
			client_body_temp_path $d/tmp;
			proxy_temp_path $d/tmp;
			fastcgi_temp_path $d/tmp;
			uwsgi_temp_path $d/tmp;
			scgi_temp_path $d/tmp;
			types { }
			default_type text/plain;
			${MIRROR_HTTP_EXTRA:-}
			server {
				listen 127.0.0.1:$MIRROR_PORT ssl;
				ssl_certificate $keys/wallet/server.crt;
				ssl_certificate_key $keys/wallet/server.key;
				ssl_client_certificate $keys/ca/ca.crt;
				ssl_verify_client on;
				ssl_protocols TLSv1.2 TLSv1.3;
				root $root;
			}
		}
		CONF
		nginx -p "$d" -c "$d/nginx.conf" 2>>"$d/logs/stderr.log" &
		MIRROR_PID=$!
		at_exit "kill $MIRROR_PID; wait $MIRROR_PID"
		wait_until 20 port_open "$MIRROR_PORT" && return 0
		kill "$MIRROR_PID" 2>/dev/null
		wait "$MIRROR_PID" 2>/dev/null
	done
	return 1
}
