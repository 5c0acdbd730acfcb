# shellcheck shell=bash
#
# endpoint.sh - sourced after tests/netns/lib.sh by the tests of `vpcfw
# fetch`: the local EC2 endpoint (ec2-endpoint.py) on the loopback of one of
# the test's namespaces, and the real AWS CLI pointed at it with throwaway
# credentials and no configuration of the machine's (HOME is the test's).

FETCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
AWS_BIN=/usr/bin/aws		# Debian's awscli, not one a user installed elsewhere
ENDPOINT_PORT=""
ENDPOINT_LOG=""

# endpoint_start NS: serve the fixture VPC on 127.0.0.1 of NS.
endpoint_start() {
	[ -x "$AWS_BIN" ] || skip "Debian's awscli is not installed ($AWS_BIN)"
	command -v python3 >/dev/null 2>&1 || skip "python3 not installed"
	ENDPOINT_LOG="$TMPD/endpoint.log"
	bg "$1" python3 "$FETCH_DIR/ec2-endpoint.py" "$TMPD/endpoint.port" "$ENDPOINT_LOG"
	wait_for 10 test -s "$TMPD/endpoint.port" || hard_error "the EC2 endpoint did not start"
	ENDPOINT_PORT=$(cat "$TMPD/endpoint.port")
}

# fetch_in NS ARGS...: `vpcfw fetch --endpoint-url ... ARGS...` in NS, with
# the environment the AWS CLI reads and nothing of the host's.
fetch_in() {
	local ns=$1; shift
	mkdir -p "$TMPD/home"
	ip netns exec "$ns" env -i PATH="$(dirname "$AWS_BIN"):/usr/sbin:/sbin:/bin" \
		HOME="$TMPD/home" AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test \
		AWS_DEFAULT_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true \
		AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null \
		"$VPCFW" fetch --endpoint-url "http://127.0.0.1:$ENDPOINT_PORT" "$@"
}
