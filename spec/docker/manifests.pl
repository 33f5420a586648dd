#!/usr/bin/perl
# Checks the syntax and the required fields of the container manifests that cannot run on
# the test machines (no kubectl, no swarm): docker/compose.yaml, docker/k8s/*.yaml,
# docker/swarm/stack.yaml. Core perl only (CPAN::Meta::YAML reads block-style YAML, the
# style these files keep to). Usage: manifests.pl compose|k8s|swarm FILE...
# Prints one line per problem; exits 1 when there is any.
use strict;
use warnings;
use CPAN::Meta::YAML;

my ($kind, @files) = @ARGV;
die "usage: manifests.pl compose|k8s|swarm FILE...\n" unless $kind && @files;
my @err;
sub err { push @err, "$_[0]: $_[1]" }

sub load {
	my ($f) = @_;
	my $y = eval { CPAN::Meta::YAML->read($f) };
	unless ($y) { err($f, 'YAML: ' . ($@ || CPAN::Meta::YAML->errstr)); return (); }
	my @docs = grep { defined } @$y;
	err($f, 'no document') unless @docs;
	flow_check($f, $_, '') for @docs;
	return @docs;
}
# The parser reads flow collections ([a, b], {a: b}) as strings: refuse them, so that the
# structure checked here is the one Kubernetes and Docker will read.
sub flow_check {
	my ($f, $n, $path) = @_;
	if (ref $n eq 'HASH') { flow_check($f, $n->{$_}, "$path.$_") for keys %$n }
	elsif (ref $n eq 'ARRAY') { flow_check($f, $n->[$_], "$path\[$_]") for 0 .. $#$n }
	elsif (defined $n && $n =~ /^[\[{]/) { err($f, "$path: flow-style value '$n' (write it in block style)") }
}
sub get { my ($n, @p) = @_; for (@p) { return undef unless ref $n eq 'HASH'; $n = $n->{$_} } $n }
sub need { my ($f, $n, @p) = @_; my $v = get($n, @p); err($f, join('.', @p) . ' missing') unless defined $v && $v ne ''; $v }
sub list { my $v = shift; ref $v eq 'ARRAY' ? @$v : () }

sub check_pod_spec {
	my ($f, $where, $spec) = @_;
	my @c = list(get($spec, 'containers'));
	err($f, "$where: no containers") unless @c;
	push @c, list(get($spec, 'initContainers')); # init containers and native sidecars too
	my %vol = map { (get($_, 'name') // '') => 1 } list(get($spec, 'volumes'));
	my $nonroot = get($spec, 'securityContext', 'runAsNonRoot');
	for my $c (@c) {
		my $cn = get($c, 'name') // '?';
		err($f, "$where: container without name") unless defined get($c, 'name');
		err($f, "$where: container $cn without image") unless get($c, 'image');
		for my $m (list(get($c, 'volumeMounts'))) {
			my $vn = get($m, 'name') // '';
			err($f, "$where: container $cn mounts unknown volume '$vn'") unless $vol{$vn};
			err($f, "$where: mount $vn without mountPath") unless get($m, 'mountPath');
		}
		$nonroot //= get($c, 'securityContext', 'runAsNonRoot');
		err($f, "$where: container $cn may escalate privileges")
			unless (get($c, 'securityContext', 'allowPrivilegeEscalation') // '') eq 'false';
	}
	err($f, "$where: runAsNonRoot is not true") unless ($nonroot // '') eq 'true';
	for my $v (list(get($spec, 'volumes'))) {
		if (my $s = get($v, 'secret')) { err($f, "$where: secret volume without secretName") unless get($s, 'secretName') }
	}
}

sub check_k8s {
	my ($f, @docs) = @_;
	my (%templ_labels, @services);
	for my $d (@docs) {
		my $k = need($f, $d, 'kind') // '?';
		need($f, $d, 'apiVersion');
		my $name = need($f, $d, 'metadata', 'name') // '?';
		my $where = "$k/$name";
		if ($k eq 'Deployment') {
			need($f, $d, 'spec', 'replicas');
			my $sel = get($d, 'spec', 'selector', 'matchLabels') || {};
			my $lab = get($d, 'spec', 'template', 'metadata', 'labels') || {};
			err($f, "$where: empty selector") unless %$sel;
			for (keys %$sel) {
				err($f, "$where: selector $_ does not match the template labels")
					unless defined $lab->{$_} && $lab->{$_} eq $sel->{$_};
			}
			$templ_labels{$name} = $lab;
			check_pod_spec($f, $where, get($d, 'spec', 'template', 'spec'));
		} elsif ($k eq 'Pod') {
			check_pod_spec($f, $where, get($d, 'spec'));
		} elsif ($k eq 'Service') {
			my @p = list(get($d, 'spec', 'ports'));
			err($f, "$where: no ports") unless @p;
			for (@p) { err($f, "$where: port without number") unless get($_, 'port') }
			push @services, [$where, get($d, 'spec', 'selector') || {}];
		} elsif ($k eq 'PersistentVolumeClaim') {
			need($f, $d, 'spec', 'accessModes');
			need($f, $d, 'spec', 'resources', 'requests', 'storage');
		}
	}
	check_k8s_split($f, @docs);
	for my $s (@services) {
		my ($where, $sel) = @$s;
		err($f, "$where: empty selector") unless %$sel;
		my $hit = grep {
			my $l = $_;
			!grep { !defined $l->{$_} || $l->{$_} ne $sel->{$_} } keys %$sel
		} values %templ_labels;
		err($f, "$where: selector matches no Deployment in this file") unless $hit;
	}
}

# mount_of(KEY, PATH, MOUNTS...): the mount (KEY its path field) that holds PATH, the deepest
# one, and PATH relative to it ('' for the mount point itself).
sub mount_of {
	my ($key, $path, @m) = @_;
	my ($best, $rel);
	for my $m (@m) {
		my $t = get($m, $key) // next;
		$t =~ s{/+$}{};
		next unless $path eq $t || index($path, "$t/") == 0;
		next if $best && length(get($best, $key)) >= length($t);
		($best, $rel) = ($m, substr($path, length($t)));
	}
	$rel =~ s{^/+}{} if defined $rel;
	return ($best, $rel);
}

# The writer/replica split on Kubernetes: a Deployment with WALLET_EXPORT is the writer (one
# replica); a Deployment whose container serves `--data DIR` is a replica, and DIR must be a
# read-only mount of the writer's export PVC (read-only claim too); no replica mounts the
# writer's data PVC. Files without a writer (app-pod.yaml) are not concerned.
sub k8s_env { my ($c, $n) = @_; for (list(get($c, 'env'))) { return get($_, 'value') if (get($_, 'name') // '') eq $n } undef }
sub k8s_claims {
	my ($spec) = @_;
	return map { (get($_, 'name') // '') => $_ } list(get($spec, 'volumes'));
}
sub check_k8s_split {
	my ($f, @docs) = @_;
	my @deps = grep { (get($_, 'kind') // '') eq 'Deployment' } @docs;
	my (@w, @r);
	for my $d (@deps) {
		for my $c (list(get($d, 'spec', 'template', 'spec', 'containers'))) {
			if (defined k8s_env($c, 'WALLET_EXPORT')) { push @w, [$d, $c] }
			else {
				my @a = (list(get($c, 'command')), list(get($c, 'args')));
				for my $i (0 .. $#a - 1) { push @r, [$d, $c, $a[$i + 1]] if $a[$i] eq '--data' }
			}
		}
	}
	return unless @w || @r;
	return err($f, 'replicas without a writer (a Deployment with WALLET_EXPORT)') unless @w;
	return err($f, 'more than one writer') if @w > 1;
	my ($wd, $wc) = @{ $w[0] };
	my $wn = get($wd, 'metadata', 'name') // '?';
	err($f, "Deployment/$wn: a writer with more than one replica") unless (get($wd, 'spec', 'replicas') // '') eq '1';
	my %wv = k8s_claims(get($wd, 'spec', 'template', 'spec'));
	my %wm = map { (get($_, 'mountPath') // '') => $_ } list(get($wc, 'volumeMounts'));
	my ($xm, $xrel) = mount_of('mountPath', k8s_env($wc, 'WALLET_EXPORT'), list(get($wc, 'volumeMounts')));
	return err($f, "Deployment/$wn: nothing mounted at its WALLET_EXPORT") unless $xm;
	my $dm = $wm{'/var/lib/wallet'} or return err($f, "Deployment/$wn: no data volume at /var/lib/wallet");
	my $xclaim = get($wv{ get($xm, 'name') // '' }, 'persistentVolumeClaim', 'claimName') // '';
	my $dclaim = get($wv{ get($dm, 'name') // '' }, 'persistentVolumeClaim', 'claimName') // '';
	err($f, "Deployment/$wn: the export is no PersistentVolumeClaim") unless $xclaim;
	err($f, "Deployment/$wn: data and export on the same claim") if $xclaim && $xclaim eq $dclaim;
	err($f, 'no replica Deployment (a container serving --data DIR)') unless @r;
	for (@r) {
		my ($d, $c, $dir) = @$_;
		my $n = 'Deployment/' . (get($d, 'metadata', 'name') // '?');
		my %v = k8s_claims(get($d, 'spec', 'template', 'spec'));
		my ($m, $rel) = mount_of('mountPath', $dir, list(get($c, 'volumeMounts')));
		if (!$m) { err($f, "$n: nothing mounted at its data directory $dir"); next }
		err($f, "$n: serves $dir, not the directory the writer exports to") unless $rel eq $xrel;
		my $pvc = get($v{ get($m, 'name') // '' }, 'persistentVolumeClaim');
		err($f, "$n: serves no claim of the writer's export") unless $pvc && (get($pvc, 'claimName') // '') eq $xclaim;
		err($f, "$n: the export is not mounted read-only")
			unless (get($m, 'readOnly') // '') eq 'true' && (get($pvc, 'readOnly') // '') eq 'true';
		for my $vm (list(get($c, 'volumeMounts'))) {
			my $cl = get($v{ get($vm, 'name') // '' }, 'persistentVolumeClaim', 'claimName') // '';
			err($f, "$n: mounts the writer's data claim") if $dclaim && $cl eq $dclaim;
			err($f, "$n: mounts a data volume at /var/lib/wallet") if (get($vm, 'mountPath') // '') eq '/var/lib/wallet';
		}
	}
}

sub check_compose {
	my ($f, $d, $swarm) = @_;
	my $svcs = get($d, 'services');
	err($f, 'no services') unless ref $svcs eq 'HASH' && %$svcs;
	return unless ref $svcs eq 'HASH';
	my %top;
	for my $t (qw(volumes secrets networks)) { $top{$t} = { map { $_ => 1 } keys %{ get($d, $t) || {} } } }
	for my $sn (sort keys %$svcs) {
		my $s = $svcs->{$sn};
		err($f, "service $sn: no image") unless get($s, 'image');
		for my $v (list(get($s, 'volumes'))) {
			my ($src, $type) = ref $v ? (get($v, 'source'), get($v, 'type') // 'volume') : (split(/:/, $v))[0, 0];
			$type = ($src // '') =~ m{^[./\$~]} ? 'bind' : 'volume' unless ref $v;
			err($f, "service $sn: volume without target") if ref $v && !get($v, 'target');
			err($f, "service $sn: volume '$src' not declared") if $type eq 'volume' && !$top{volumes}{$src // ''};
		}
		for my $sec (list(get($s, 'secrets'))) {
			my $src = ref $sec ? get($sec, 'source') : $sec;
			err($f, "service $sn: secret '$src' not declared") unless $top{secrets}{$src // ''};
		}
		for my $n (list(get($s, 'networks'))) { err($f, "service $sn: network '$n' not declared") unless $top{networks}{$n} }
		my $dep = get($s, 'depends_on');
		for my $on (ref $dep eq 'HASH' ? keys %$dep : list($dep)) { err($f, "service $sn depends on unknown '$on'") unless $svcs->{$on} }
	}
	check_split($f, $svcs, $swarm);
	if ($swarm) {
		need($f, $d, 'version');
		err($f, 'wallet: fewer than 2 replicas') unless (get($svcs, 'wallet', 'deploy', 'replicas') // 0) >= 2;
	} else {
		my $w = $svcs->{wallet} or return err($f, 'no wallet service');
		my %t = map { (get($_, 'target') // '') => $_ } grep { ref } list(get($w, 'volumes'));
		err($f, 'wallet: no volume at /var/lib/wallet') unless $t{'/var/lib/wallet'};
		err($f, 'wallet: TLS directory not mounted read-only')
			unless (get($t{'/etc/wallet/tls'}, 'read_only') // '') eq 'true';
		my $a = $svcs->{app} or return err($f, 'no app service');
		my $url = get($a, 'environment', 'WALLET_URL') or return err($f, 'app: no WALLET_URL');
		my @hosts = map { m{^https://([^:/]+)} ? $1 : '' } split /,/, $url;
		for (@hosts) { err($f, "app: WALLET_URL names '$_', which is no service") unless $_ && $svcs->{$_} }
		err($f, 'app: does not wait for a healthy server it fetches from')
			unless grep { (get($a, 'depends_on', $_, 'condition') // '') eq 'service_healthy' } @hosts;
	}
}

# The writer/replica split (docs/docker.md, "Writer and replicas"): exactly one writer (the
# service with WALLET_EXPORT), whose export volume the replicas (the services that serve the
# export's directory) mount read-only; no replica mounts a data directory of its own or the
# writer's. Compose needs two replica services, swarm a replicated one, and one writer task.
sub data_dir {
	my ($s) = @_;
	my @c = list(get($s, 'command'));
	for my $i (0 .. $#c - 1) { return $c[$i + 1] if $c[$i] eq '--data' }
	return get($s, 'environment', 'WALLET_DATA');
}
sub check_split {
	my ($f, $svcs, $swarm) = @_;
	my @w = grep { get($svcs->{$_}, 'environment', 'WALLET_EXPORT') } sort keys %$svcs;
	return err($f, 'no writer (a service with WALLET_EXPORT)') unless @w;
	return err($f, 'more than one writer: ' . join(', ', @w)) if @w > 1;
	my $w = $svcs->{ $w[0] };
	my $xt = get($w, 'environment', 'WALLET_EXPORT');
	my %wt = map { (get($_, 'target') // '') => $_ } grep { ref } list(get($w, 'volumes'));
	my ($xv, $xrel) = mount_of('target', $xt, grep { ref } list(get($w, 'volumes')));
	return err($f, "$w[0]: no volume at its WALLET_EXPORT $xt") unless $xv;
	err($f, "$w[0]: the export volume is read-only in the writer") if (get($xv, 'read_only') // '') eq 'true';
	my $dv = $wt{'/var/lib/wallet'} or return err($f, "$w[0]: no data volume at /var/lib/wallet");
	err($f, "$w[0]: the writer's data and export are the same volume")
		if (get($dv, 'source') // '') eq (get($xv, 'source') // '');
	err($f, "$w[0]: more than one writer task") if $swarm && (get($w, 'deploy', 'replicas') // 1) != 1;
	my @r;
	for my $sn (sort keys %$svcs) {
		next if $sn eq $w[0];
		my $s = $svcs->{$sn};
		my $dd = data_dir($s) // next;
		push @r, $sn;
		my @v = grep { ref } list(get($s, 'volumes'));
		my ($x, $rel) = mount_of('target', $dd, @v);
		if (!$x) { err($f, "$sn: nothing mounted at its data directory $dd"); next }
		err($f, "$sn: serves $dd, not the directory the writer exports to") unless $rel eq $xrel;
		err($f, "$sn: serves '" . (get($x, 'source') // '') . "', not the writer's export volume")
			unless (get($x, 'source') // '') eq (get($xv, 'source') // '');
		err($f, "$sn: the export is not mounted read-only") unless (get($x, 'read_only') // '') eq 'true';
		for (@v) {
			err($f, "$sn: mounts the writer's data volume") if (get($_, 'source') // '') eq (get($dv, 'source') // '');
			err($f, "$sn: mounts a data volume at /var/lib/wallet") if (get($_, 'target') // '') eq '/var/lib/wallet';
		}
	}
	if ($swarm) { err($f, 'the wallet service is no replica of the export') unless grep { $_ eq 'wallet' } @r }
	else { err($f, 'fewer than 2 replica services') unless @r >= 2 }
}

for my $f (@files) {
	my @docs = load($f) or next;
	if ($kind eq 'k8s') { check_k8s($f, @docs) }
	elsif ($kind eq 'compose') { check_compose($f, $docs[0], 0) }
	elsif ($kind eq 'swarm') { check_compose($f, $docs[0], 1) }
	else { die "manifests.pl: unknown kind $kind\n" }
}
print "$_\n" for @err;
exit(@err ? 1 : 0);
