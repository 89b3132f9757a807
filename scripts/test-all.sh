#!/usr/bin/env bash
# Runs every test of the project: auto-configuration and real-server tests, the child-JVM
# SIGTERM tests and the rolling-restart tests behind a real HAProxy. Installs HAProxy from
# the Debian packages first when it is missing.
#
# The whole suite runs once per entry of the matrix, JAVA/BOOT:
#   17/4.1.1   the JDK that runs Maven (java on the PATH, or JAVA_HOME: the Java 17
#              baseline) and the Spring Boot version the project is built with;
#   25/4.1.1   a JDK 25: JAVA25_HOME, or the first of /usr/lib/jvm/temurin-25-jdk* and
#              /usr/lib/jvm/*-25-*. Without one, that entry is skipped with a warning, or
#              fails when REQUIRE_JAVA25=1 (as in .ci/run);
#   17/4.0.7   the newest Spring Boot 4.0.x release (-Dspring-boot.version).
# Every entry compiles for Java 17 (maven.compiler.release) and runs the tests on its own
# JVM. MATRIX="17/4.1.1" (or any subset) runs fewer. Extra arguments go to every Maven run.
#
# The first entry is the primary one: it runs everything, including the suites against real
# brokers, registries and browsers (system property graceful.tests.heavy=true) and all four
# rollouts (Tomcat, Jetty and Reactor Netty, HAProxy http and tcp modes). The other entries run the rest and
# one rollout per server (HAProxy http mode for Tomcat, tcp mode for Jetty and Netty), so that the
# whole matrix stays well inside an hour on two cores.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the tests run: haproxy (rolling restarts), curl (HTTP/2 drain on Reactor Netty),
# rabbitmq-server (RabbitMQ listener tests: they start a node of their own on free ports),
# chromium (the browser ticker test: headless Chromium as the EventSource client).
missing=()
if ! command -v haproxy >/dev/null 2>&1 && [ ! -x /usr/sbin/haproxy ]; then
	missing+=(haproxy)
fi
if ! command -v curl >/dev/null 2>&1; then
	missing+=(curl)
fi
if [ ! -x /usr/lib/rabbitmq/bin/rabbitmq-server ]; then
	missing+=(rabbitmq-server)
fi
if [ ! -x /usr/bin/chromium ]; then
	missing+=(chromium)
fi
if [ ${#missing[@]} -gt 0 ]; then
	echo "Installing ${missing[*]} (needed by the tests)"
	sudo=""
	if [ "$(id -u)" != 0 ]; then
		sudo="sudo"
	fi
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

find_jdk25() {
	local candidate
	for candidate in ${JAVA25_HOME:-} /usr/lib/jvm/temurin-25-jdk* /usr/lib/jvm/*-25-*; do
		if [ -x "$candidate/bin/java" ] && "$candidate/bin/java" -version 2>&1 | grep -q 'version "25'; then
			echo "$candidate"
			return 0
		fi
	done
	return 1
}

MATRIX=${MATRIX:-"17/4.1.1 25/4.1.1 17/4.0.7"}
started=$(date +%s)
summary=()
primary=1
secondary=0

for entry in $MATRIX; do
	java_version=${entry%%/*}
	boot_version=${entry#*/}
	if [ -z "$java_version" ] || [ -z "$boot_version" ] || [ "$entry" = "$java_version" ]; then
		echo "MATRIX entry '$entry' is not JAVA/BOOT, e.g. 17/4.1.1" >&2
		exit 2
	fi
	entry_started=$(date +%s)
	java_home=""
	case $java_version in
	17) ;;
	25)
		if ! java_home=$(find_jdk25); then
			if [ "${REQUIRE_JAVA25:-0}" = 1 ]; then
				echo "No JDK 25 found: set JAVA25_HOME or install Temurin 25 under /usr/lib/jvm" >&2
				exit 1
			fi
			echo "WARNING: no JDK 25 found (set JAVA25_HOME); skipping $entry" >&2
			summary+=("$entry: skipped, no JDK 25")
			continue
		fi
		;;
	*)
		echo "MATRIX entry '$entry': Java $java_version is not one of 17, 25" >&2
		exit 2
		;;
	esac
	java_cmd=${java_home:+$java_home/bin/}java
	echo "=== $entry: Spring Boot $boot_version on $("$java_cmd" -version 2>&1 | head -1) ==="
	if [ "$primary" = 1 ]; then
		scope=(-Dgraceful.tests.heavy=true)
	else
		# One rollout per secondary entry, a different server and HAProxy mode on each.
		pairs=(netty/tcp tomcat/http jetty/tcp)
		scope=(-Dgraceful.tests.heavy=false "-Drollout.pairs=${pairs[secondary % 3]}")
		secondary=$(( secondary + 1 ))
	fi
	(
		if [ -n "$java_home" ]; then
			export JAVA_HOME=$java_home PATH="$java_home/bin:$PATH"
		fi
		# clean: the previous entry's classes were compiled by another javac or against
		# another Spring Boot.
		mvn -B -ntp clean verify "-Dspring-boot.version=$boot_version" "${scope[@]}" "$@"
	)
	primary=0
	summary+=("$entry: passed in $(( $(date +%s) - entry_started )) s")
done

echo "=== All tests passed in $(( $(date +%s) - started )) s ==="
printf '  %s\n' "${summary[@]}"
