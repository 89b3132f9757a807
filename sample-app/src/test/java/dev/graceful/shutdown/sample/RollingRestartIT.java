package dev.graceful.shutdown.sample;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import org.springframework.boot.SpringBootVersion;

import dev.graceful.shutdown.sample.KeepAliveLoad.Bucket;
import dev.graceful.shutdown.sample.KeepAliveLoad.Group;
import dev.graceful.shutdown.sample.KeepAliveLoad.Result;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * Rolling restart of two sample application instances behind a real HAProxy (HTTP and
 * TCP mode) under keep-alive load from a client that never retries: with the starter no
 * request may fail; plain Spring Boot's failures are measured alongside.
 */
class RollingRestartIT {

	private static final String[] SERVERS = { "app1", "app2" };

	private static final List<Group> LOAD = List.of(new Group("short", 12, 0, 10), new Group("long", 4, 2500, 5000));

	private static final Duration STARTUP = Duration.ofSeconds(60);

	private static final Duration WARM_UP = Duration.ofSeconds(1);

	private static final Duration LOAD_AFTER_ROLLOUT = Duration.ofSeconds(2);

	private static final Duration EXIT = Duration.ofSeconds(45);

	private static final Duration MAX_LOAD = Duration.ofSeconds(150);

	/**
	 * The fewest requests a rollout must send. The load sent 20 000 to 53 000 per rollout
	 * on a shared 2-core machine (most of them short requests on 12 workers, over the ~30 s
	 * two restarts take); a tenth of the lower figure still leaves room for a CI machine
	 * several times slower, while a rollout that sent only hundreds (workers stuck on a
	 * dead connection, load stopped early) fails instead of passing with "0 failed".
	 */
	private static final long MIN_SENT = 2_000;

	private static final String STARTER = "starter";

	private static final String PLAIN = "plain";

	private static final List<String> table = new CopyOnWriteArrayList<>();

	/** Sent and failed requests per server, mode and side, over all rounds. */
	private static final Map<String, long[]> totals = new ConcurrentSkipListMap<>();

	private final List<AutoCloseable> running = new ArrayList<>();

	@BeforeAll
	static void requireHaproxy() {
		try {
			HaproxyProcess.executable();
		}
		catch (IllegalStateException ex) {
			fail(ex.getMessage());
		}
	}

	@AfterEach
	void stopEverything() {
		Collections.reverse(this.running);
		for (AutoCloseable resource : this.running) {
			try {
				resource.close();
			}
			catch (Exception ex) {
				System.out.println("Could not stop " + resource + ": " + ex);
			}
		}
		this.running.clear();
	}

	@AfterAll
	static void printTable() {
		System.out.println("ROLLOUT rolling restart of 2 instances behind HAProxy, " + describe(LOAD)
				+ ", no client retries");
		System.out.println(String.format("ROLLOUT %5s %-28s %-6s %-5s %7s %7s %7s %8s %8s", "round", "configuration",
				"server", "mode", "sent", "ok", "failed", "long ok", "seconds"));
		table.forEach(System.out::println);
		System.out.println(String.format("ROLLOUT-TOTAL %-6s %-5s %22s %22s", "server", "mode", "starter failed/sent",
				"plain failed/sent"));
		for (String server : List.of("tomcat", "jetty", "netty")) {
			for (String mode : List.of("http", "tcp")) {
				long[] starter = totals.get(server + " " + mode + " " + STARTER);
				long[] plain = totals.get(server + " " + mode + " " + PLAIN);
				if (starter != null || plain != null) {
					System.out.println(String.format("ROLLOUT-TOTAL %-6s %-5s %22s %22s", server, mode,
							failedOfSent(starter), failedOfSent(plain)));
				}
			}
		}
	}

	private static String failedOfSent(long[] total) {
		return (total != null) ? total[1] + " / " + total[0] : "-";
	}

	/**
	 * The rollouts to run: for each round, each server and HAProxy mode, the starter and
	 * then plain Spring Boot, so that the machine's noise hits both sides alike. One round
	 * in the test suite; {@code bench/rolling-restart.sh} asks for more with the system
	 * property {@code rollout.rounds} and may narrow {@code rollout.servers} and
	 * {@code rollout.modes} (comma-separated), or name the exact pairs with
	 * {@code rollout.pairs} ({@code server/mode}, comma-separated; each of the test
	 * command's secondary matrix entries runs one pair).
	 * @return round, server, HAProxy mode, side
	 */
	static Stream<Arguments> rollouts() {
		int rounds = Integer.getInteger("rollout.rounds", 1);
		List<String[]> pairs = new ArrayList<>();
		String named = System.getProperty("rollout.pairs", "").trim();
		if (!named.isEmpty()) {
			for (String pair : named.split(",")) {
				String[] serverAndMode = pair.trim().split("/");
				if (serverAndMode.length != 2) {
					throw new IllegalArgumentException(
							"rollout.pairs: '" + pair + "' is not server/mode, e.g. tomcat/http");
				}
				pairs.add(new String[] { serverAndMode[0].trim(), serverAndMode[1].trim() });
			}
		}
		else {
			for (String server : System.getProperty("rollout.servers", "tomcat,jetty,netty").split(",")) {
				for (String mode : System.getProperty("rollout.modes", "http,tcp").split(",")) {
					pairs.add(new String[] { server.trim(), mode.trim() });
				}
			}
		}
		List<Arguments> rollouts = new ArrayList<>();
		for (int round = 1; round <= rounds; round++) {
			for (String[] pair : pairs) {
				rollouts.add(Arguments.of(round, pair[0], pair[1], STARTER));
				rollouts.add(Arguments.of(round, pair[0], pair[1], PLAIN));
			}
		}
		return rollouts.stream();
	}

	@ParameterizedTest(name = "round {0}: {1} behind HAProxy mode {2}, {3}")
	@MethodSource("rollouts")
	@Timeout(value = 120, unit = TimeUnit.SECONDS)
	void rollingRestart(int round, String server, String mode, String side) throws Exception {
		boolean starter = side.equals(STARTER);
		Rollout rollout = rollOut(round, side, server, mode);
		Result load = rollout.load();
		assertThat(load.allFinished()).as("every load worker finished").isTrue();
		assertThat(load.sent()).as("sent == ok + failed").isEqualTo(load.ok() + load.failed());
		assertThat(load.sent()).as("requests sent").isGreaterThanOrEqualTo(MIN_SENT);
		assertThat(load.buckets().stream().mapToLong(Bucket::ok).sum()).as("ok requests over all buckets")
			.isEqualTo(load.ok());
		assertThat(load.buckets().stream().mapToLong(Bucket::failed).sum()).as("failed requests over all buckets")
			.isEqualTo(load.failed());
		assertThat(rollout.exitCodes()).as("exit codes after SIGTERM")
			.containsExactly(SampleAppProcess.SIGTERM_EXIT_CODE, SampleAppProcess.SIGTERM_EXIT_CODE);
		if (starter) {
			assertThat(load.failed())
				.as("failed requests out of %d sent; first failures:%n%s%ntimeline:%n%s%nHAProxy abnormal sessions:%n%s",
						load.sent(), String.join("\n", load.failures()), String.join("\n", rollout.timeline()),
						String.join("\n", rollout.abnormalSessions()))
				.isZero();
			assertThat(load.okByGroup().get("long")).as("long requests completed").isGreaterThan(0);
		}
		else {
			// The control: the same rollout without the starter loses requests (25 to 724
			// per rollout in CI runs, never none), so the starter's zero above is the
			// starter's doing and not a harness that cannot see a loss.
			assertThat(load.failed())
				.as("failed requests of plain Spring Boot out of %d sent: the control must lose requests, or this "
						+ "harness cannot see a loss and the starter's 0 failed proves nothing; timeline:%n%s",
						load.sent(), String.join("\n", rollout.timeline()))
				.isGreaterThan(0);
		}
	}

	private static String serverName(String stack) {
		return switch (stack) {
			case "netty" -> "Reactor Netty";
			case "jetty" -> "Jetty";
			default -> "Tomcat";
		};
	}

	private Rollout rollOut(int round, String side, String stack, String mode) throws Exception {
		String label = side + "-" + stack + "-" + mode + "-r" + round;
		List<String> args = new ArrayList<>();
		args.add(side.equals(STARTER) ? "--graceful.shutdown.delay=3s" : "--graceful.shutdown.enabled=false");
		if (stack.equals("netty")) {
			args.add("--spring.main.web-application-type=reactive");
		}
		if (stack.equals("jetty")) {
			args.add("--sample.server=jetty");
		}
		String[] appArgs = args.toArray(String[]::new);
		int[] ports = SampleAppProcess.freePorts(2 + SERVERS.length);
		int frontendPort = ports[0];
		int statsPort = ports[1];
		Map<String, Integer> serverPorts = new LinkedHashMap<>();
		SampleAppProcess[] apps = new SampleAppProcess[SERVERS.length];
		for (int i = 0; i < SERVERS.length; i++) {
			serverPorts.put(SERVERS[i], ports[2 + i]);
			apps[i] = track(SampleAppProcess.start(label + "-" + SERVERS[i] + "-1", ports[2 + i], appArgs));
		}
		for (SampleAppProcess app : apps) {
			app.awaitReady(STARTUP);
		}
		HaproxyProcess haproxy = track(HaproxyProcess.start(mode, frontendPort, statsPort, serverPorts,
				SampleAppProcess.logDirectory().resolve(label + "-haproxy.log")));
		for (String server : SERVERS) {
			haproxy.awaitUp(server, Duration.ofSeconds(30), () -> true);
		}

		KeepAliveLoad load = KeepAliveLoad.start(frontendPort, LOAD, MAX_LOAD);
		Timeline timeline = new Timeline(load);
		StatusWatcher watcher = track(new StatusWatcher(haproxy, timeline));
		Result result = null;
		List<Integer> exitCodes = new ArrayList<>();
		try {
			timeline.add("load started: " + describe(LOAD));
			SampleAppProcess.sleep(WARM_UP);
			for (int i = 0; i < SERVERS.length; i++) {
				String server = SERVERS[i];
				timeline.mark("SIGTERM " + server, "SIGTERM " + apps[i]);
				apps[i].sigterm();
				int exitCode = apps[i].awaitExit(EXIT);
				exitCodes.add(exitCode);
				timeline.mark(server + " exited", server + " exited with code " + exitCode);
				apps[i].log()
					.lines()
					.filter((line) -> line.contains("Graceful shutdown complete in"))
					.forEach((line) -> timeline.add(server + " logged: " + line.substring(line.indexOf("Graceful"))));
				apps[i] = track(SampleAppProcess.start(label + "-" + server + "-2", serverPorts.get(server), appArgs));
				SampleAppProcess restarted = apps[i].awaitReady(STARTUP);
				haproxy.awaitUp(server, Duration.ofSeconds(30), restarted::isAlive);
				timeline.mark(server + " UP", server + " restarted and UP in HAProxy: " + restarted);
			}
			SampleAppProcess.sleep(LOAD_AFTER_ROLLOUT);
			timeline.mark("load stops", "stopping load");
			result = load.stop(Duration.ofSeconds(40));
			timeline.add("load stopped");
		}
		finally {
			if (result == null) {
				load.stop(Duration.ofSeconds(35));
			}
			watcher.close();
		}
		List<String> abnormalSessions = haproxy.abnormalSessions();
		report(round, side, stack, mode, label, result, timeline, abnormalSessions, haproxy.logFile());
		return new Rollout(result, exitCodes, timeline.lines(), abnormalSessions);
	}

	private void report(int round, String side, String stack, String mode, String label, Result result,
			Timeline timeline,
			List<String> abnormal, Path haproxyLog) throws IOException {
		String prefix = "[" + label + "] ";
		System.out.println(prefix + "timeline (ms since load start):");
		timeline.lines().forEach((line) -> System.out.println(prefix + line));
		System.out.println(prefix + String.format("sent %d, ok %d, failed %d, ok by group %s, in %d ms", result.sent(),
				result.ok(), result.failed(), result.okByGroup(), result.durationMs()));
		result.failures().forEach((failure) -> System.out.println(prefix + "failure: " + failure));
		System.out.println(prefix + "HAProxy logged " + abnormal.size() + " abnormal session(s)");
		abnormal.stream().limit(10).forEach((line) -> System.out.println(prefix + "HAProxy: " + line));
		System.out.println(prefix + "logs in " + SampleAppProcess.logDirectory() + " (" + label + "-*.log), HAProxy: "
				+ haproxyLog);
		long longOk = result.okByGroup().getOrDefault("long", 0L);
		long[] total = totals.computeIfAbsent(stack + " " + mode + " " + side, (key) -> new long[2]);
		String configuration = side.equals(STARTER) ? "starter (delay 3s)" : "plain Spring Boot (disabled)";
		String title = (side.equals(STARTER) ? "with the starter (delay 3s)"
				: "plain Spring Boot " + SpringBootVersion.getVersion()) + ", "
				+ serverName(stack) + " behind HAProxy " + mode + ", round "
				+ round;
		System.out.println(prefix + "requests over time: " + writeSeries(label, title, result, timeline));
		total[0] += result.sent();
		total[1] += result.failed();
		table.add(String.format("ROLLOUT %5d %-28s %-6s %-5s %7d %7d %7d %8d %8.1f", round, configuration, stack,
				mode, result.sent(),
				result.ok(), result.failed(), longOk, result.durationMs() / 1000.0));
	}

	/**
	 * Write what ended ok and failed per bucket, and the timeline, for
	 * {@code bench/RolloutChart.java} to draw: {@code target/rollouts/<label>.csv} with
	 * the columns {@code kind,ms,ok,failed,marker,text}; kind {@code title} (text),
	 * {@code bucket} (ms, ok, failed: the requests that ended in the
	 * {@value KeepAliveLoad#BUCKET_MS} ms from ms) or {@code event} (ms, text, and a short
	 * marker for the events to draw).
	 */
	private static Path writeSeries(String label, String title, Result result, Timeline timeline) throws IOException {
		List<String> lines = new ArrayList<>();
		lines.add("kind,ms,ok,failed,marker,text");
		lines.add("title,,,,," + csv(title));
		for (Bucket bucket : result.buckets()) {
			lines.add("bucket," + bucket.startMs() + "," + bucket.ok() + "," + bucket.failed() + ",,");
		}
		for (Timeline.Event event : timeline.events()) {
			lines.add("event," + event.ms() + ",,," + csv(event.marker()) + "," + csv(event.text()));
		}
		Path directory = Files.createDirectories(SampleAppProcess.logDirectory().resolveSibling("rollouts"));
		return Files.write(directory.resolve(label + ".csv"), lines);
	}

	private static String csv(String field) {
		return field.isEmpty() ? "" : "\"" + field.replace("\"", "\"\"") + "\"";
	}

	private static String describe(List<Group> groups) {
		return groups.stream()
			.map((group) -> group.workers() + " " + group.name() + " keep-alive workers (ms=" + group.minMs() + ".."
					+ group.maxMs() + ")")
			.collect(Collectors.joining(" + "));
	}

	private <T extends AutoCloseable> T track(T resource) {
		this.running.add(resource);
		return resource;
	}

	/**
	 * What one rollout did.
	 *
	 * @param load what the load client counted
	 * @param exitCodes exit codes of the stopped instances, in order
	 * @param timeline what happened when
	 * @param abnormalSessions HAProxy's log lines of sessions that ended abnormally
	 */
	private record Rollout(Result load, List<Integer> exitCodes, List<String> timeline,
			List<String> abnormalSessions) {
	}

	/**
	 * Events on the load client's clock, to line failures up with the rollout.
	 */
	private static final class Timeline {

		private final KeepAliveLoad load;

		private final List<Event> events = new CopyOnWriteArrayList<>();

		Timeline(KeepAliveLoad load) {
			this.load = load;
		}

		void add(String event) {
			mark("", event);
		}

		/**
		 * Add an event that the rollout chart marks.
		 * @param marker a short label for the chart
		 * @param event what happened
		 */
		void mark(String marker, String event) {
			this.events.add(new Event(this.load.elapsedMs(), event, marker));
		}

		List<Event> events() {
			// Two threads add events: order by time, not by arrival.
			return this.events.stream().sorted(Comparator.comparingLong(Event::ms)).toList();
		}

		List<String> lines() {
			return events().stream().map((event) -> String.format("+%6d ms  %s", event.ms(), event.text())).toList();
		}

		/**
		 * One event.
		 *
		 * @param ms when, on the load client's clock
		 * @param text what happened
		 * @param marker a short label if the chart marks it, else empty
		 */
		record Event(long ms, String text, String marker) {
		}

	}

	/**
	 * Polls HAProxy's stats page and adds every server status change to the timeline.
	 */
	private static final class StatusWatcher implements AutoCloseable {

		private final Thread thread;

		private volatile boolean stopped;

		StatusWatcher(HaproxyProcess haproxy, Timeline timeline) {
			this.thread = new Thread(() -> watch(haproxy, timeline), "haproxy-status-watcher");
			this.thread.setDaemon(true);
			this.thread.start();
		}

		private void watch(HaproxyProcess haproxy, Timeline timeline) {
			Map<String, String> previous = new LinkedHashMap<>();
			while (!this.stopped) {
				try {
					haproxy.serverStatuses().forEach((server, status) -> {
						if (!status.equals(previous.put(server, status))) {
							timeline.add("HAProxy: " + server + " " + status);
						}
					});
				}
				catch (IOException ex) {
					// HAProxy is being stopped; the test reports anything that matters.
				}
				try {
					Thread.sleep(100);
				}
				catch (InterruptedException ex) {
					return;
				}
			}
		}

		@Override
		public void close() throws InterruptedException {
			this.stopped = true;
			this.thread.interrupt();
			this.thread.join(5000);
		}

	}

}
