#!/usr/bin/env bash
# Runs every test of the project: auto-configuration and real-server tests, the child-JVM
# SIGTERM tests and the rolling-restart tests behind a real HAProxy. Installs HAProxy from
# the Debian packages first when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v haproxy >/dev/null 2>&1 && [ ! -x /usr/sbin/haproxy ]; then
	echo "Installing haproxy (needed by the rolling-restart tests)"
	sudo=""
	if [ "$(id -u)" != 0 ]; then
		sudo="sudo"
	fi
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq haproxy >/dev/null
fi

exec mvn -B -ntp verify "$@"
