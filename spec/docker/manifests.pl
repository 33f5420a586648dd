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
		err($f, 'app: no WALLET_URL') unless get($a, 'environment', 'WALLET_URL');
		err($f, 'app: does not wait for a healthy wallet')
			unless (get($a, 'depends_on', 'wallet', 'condition') // '') eq 'service_healthy';
	}
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
