package dev.graceful.shutdown.sample;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.LongStream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * A real browser as the client of the sample's ticker: headless Chromium opens
 * {@code /ticker.html} (an {@code EventSource} on {@code /ticker}) through a real HAProxy
 * (http mode) in front of two instances on Tomcat, one tick per 200 ms, while the
 * instances are rolled one after the other (SIGTERM, exit, restart, UP in HAProxy). The
 * instance that holds the browser's stream (HAProxy's current sessions tell which) goes
 * first; the stream moves to the other one, which goes next, so both stops end it.
 * <p>
 * With the starter (delay 3 s) each stop ends the stream with a {@code shutdown} event
 * (each stopped instance reports one SSE stream handed off); the browser's own
 * {@code EventSource} reconnects with {@code Last-Event-ID} and the page sees every tick
 * from 1 on exactly once, in order: no gap, no duplicate; two {@code shutdown} events,
 * two ends of stream, three openings.
 * <p>
 * Plain Spring Boot ({@code graceful.shutdown.enabled=false}, its phase timeout shortened
 * from the default 30 s to 5 s) is the control: it holds the stream until that timeout,
 * gives up (Tomcat: "Graceful shutdown aborted with one or more requests still active",
 * or Spring's lifecycle processor: the web server's shutdown "still running after
 * timeout") and cuts it, so the page sees no {@code shutdown} event at all, only two
 * {@code error} events,
 * after each of which {@code EventSource} reconnects by itself. The ticks themselves
 * then resume without a gap too ({@code Last-Event-ID}): printed, not asserted, as it is
 * the browser's doing and not the starter's.
 */
@EnabledIfSystemProperty(named = "graceful.tests.heavy", matches = "true")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class BrowserTickerIT {

	private static final String[] SERVERS = { "app1", "app2" };

	private static final Duration INTERVAL = Duration.ofMillis(200);

	private static final Duration PLAIN_PHASE_TIMEOUT = Duration.ofSeconds(5);

	private static final Duration STARTUP = Duration.ofSeconds(60);

	private static final Duration EXIT = Duration.ofSeconds(30);

	/** How long the page may take to have its stream open and ticking again. */
	private static final Duration STREAM = Duration.ofSeconds(20);

	/** Ticks the page must see before the rollout and after it. */
	private static final int TICKS_AROUND = 10;

	private static final Pattern SSE_IN_FLIGHT = Pattern
		.compile("participant 'sse-streams' ended after \\d+ ms \\(\\w+: (\\d+) in flight at start");

	private final List<AutoCloseable> running = new ArrayList<>();

	@BeforeAll
	static void requireChromiumAndHaproxy() {
		try {
			HeadlessChromium.requireInstalled();
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

	@Test
	@Order(1)
	@Timeout(value = 150, unit = TimeUnit.SECONDS)
	void withTheStarterTheBrowserResumesAfterEachShutdownEventWithoutAGapOrADuplicate() throws Exception {
		Rollout rollout = rollOut("starter", "--graceful.shutdown.delay=3s");
		assertThat(rollout.exitCodes()).as("exit codes after SIGTERM")
			.containsExactly(SampleAppProcess.SIGTERM_EXIT_CODE, SampleAppProcess.SIGTERM_EXIT_CODE);
		assertThat(rollout.streamOn()).as("the stream on the stopped instance at each SIGTERM (HAProxy)")
			.containsExactly(true, true);
		assertThat(rollout.sseStreamsHandedOff()).as("SSE streams each stopped instance handed off (its log)")
			.containsExactly(1, 1);
		Page page = rollout.page();
		assertThat(page.seen()).as("ticks the browser saw, in order").containsExactlyElementsOf(ticks(page.seen()));
		assertThat(page.gaps()).as("gaps the page counted").isZero();
		assertThat(page.shutdownEvents()).as("shutdown events: one per stop").isEqualTo(2);
		assertThat(page.errors()).as("error events: the end of the stream after each shutdown event").isEqualTo(2);
		assertThat(page.opens()).as("times the EventSource opened").isEqualTo(3);
		assertThat(rollout.seenAtStops()).as("ticks seen at each SIGTERM and at the end: the stream went on")
			.isSorted()
			.doesNotHaveDuplicates();
	}

	@Test
	@Order(2)
	@Timeout(value = 150, unit = TimeUnit.SECONDS)
	void plainSpringBootCutsTheBrowsersStreamWithoutAShutdownEvent() throws Exception {
		Rollout rollout = rollOut("plain", "--graceful.shutdown.enabled=false",
				"--spring.lifecycle.timeout-per-shutdown-phase=" + PLAIN_PHASE_TIMEOUT.toSeconds() + "s");
		assertThat(rollout.exitCodes()).as("exit codes after SIGTERM")
			.containsExactly(SampleAppProcess.SIGTERM_EXIT_CODE, SampleAppProcess.SIGTERM_EXIT_CODE);
		assertThat(rollout.streamOn()).as("the stream on the stopped instance at each SIGTERM (HAProxy)")
			.containsExactly(true, true);
		// Spring Boot waits for the open stream until its phase timeout, then cuts it.
		assertThat(rollout.exitMs()).as("ms from SIGTERM to exit")
			.allSatisfy((ms) -> assertThat(ms).isGreaterThanOrEqualTo(PLAIN_PHASE_TIMEOUT.toMillis()));
		// Given up at the timeout: Tomcat's graceful shutdown says so, or Spring's lifecycle
		// processor does first (whichever of the two logs before the server stops).
		assertThat(rollout.logs()).as("stopped instances' logs")
			.allSatisfy((log) -> assertThat(log).containsAnyOf(
					"Graceful shutdown aborted with one or more requests still active",
					"still running after timeout of " + PLAIN_PHASE_TIMEOUT.toMillis() + "ms: [webServerGracefulShutdown]"));
		Page page = rollout.page();
		assertThat(page.shutdownEvents()).as("shutdown events without the starter").isZero();
		assertThat(page.errors()).as("error events: the stream cut at each stop").isEqualTo(2);
		assertThat(page.opens()).as("times the EventSource opened: it reconnected after each error").isEqualTo(3);
		assertThat(rollout.seenAtStops()).as("ticks seen at each SIGTERM and at the end").isSorted();
	}

	private static List<Long> ticks(List<Long> seen) {
		return LongStream.rangeClosed(1, Math.max(seen.size(), 1)).boxed().toList();
	}

	private Rollout rollOut(String side, String... sideArgs) throws Exception {
		List<String> args = new ArrayList<>(List.of(sideArgs));
		args.add("--sample.ticker.interval=" + INTERVAL.toMillis() + "ms");
		args.add("--sample.misbehaving-cleanups=false");
		String[] appArgs = args.toArray(String[]::new);
		String label = "browser-" + side;
		int[] ports = SampleAppProcess.freePorts(2 + SERVERS.length);
		Map<String, Integer> serverPorts = new LinkedHashMap<>();
		SampleAppProcess[] apps = new SampleAppProcess[SERVERS.length];
		for (int i = 0; i < SERVERS.length; i++) {
			serverPorts.put(SERVERS[i], ports[2 + i]);
			apps[i] = track(SampleAppProcess.start(label + "-" + SERVERS[i] + "-1", ports[2 + i], appArgs));
		}
		HeadlessChromium chromium = track(
				HeadlessChromium.start(SampleAppProcess.logDirectory().resolve(label + "-chromium.log")));
		for (SampleAppProcess app : apps) {
			app.awaitReady(STARTUP);
		}
		HaproxyProcess haproxy = track(HaproxyProcess.start("http", ports[0], ports[1], serverPorts,
				SampleAppProcess.logDirectory().resolve(label + "-haproxy.log")));
		for (String server : SERVERS) {
			haproxy.awaitUp(server, Duration.ofSeconds(30), () -> true);
		}

		long started = System.nanoTime();
		List<String> timeline = new ArrayList<>();
		chromium.navigate("http://127.0.0.1:" + ports[0] + "/ticker.html");
		awaitTicking(chromium, TICKS_AROUND);
		// The instance that holds the browser's stream goes first: the stream moves to the
		// other one, which goes next, so that both stops end it.
		int first = List.of(SERVERS).indexOf(awaitStreamHolder(haproxy, chromium));
		List<String> stopped = new ArrayList<>();
		List<Boolean> streamOn = new ArrayList<>();
		List<Integer> seenAtStops = new ArrayList<>();
		List<Integer> exitCodes = new ArrayList<>();
		List<Long> exitMs = new ArrayList<>();
		List<String> logs = new ArrayList<>();
		for (int step = 0; step < SERVERS.length; step++) {
			int i = (first + step) % SERVERS.length;
			String server = SERVERS[i];
			String holder = awaitStreamHolder(haproxy, chromium);
			stopped.add(server);
			streamOn.add(holder.equals(server));
			seenAtStops.add(page(chromium).seen().size());
			timeline.add(String.format("+%6d ms  SIGTERM %s, the stream is on %s, %d ticks seen", elapsedMs(started),
					server, holder, seenAtStops.get(step)));
			long stopping = System.nanoTime();
			apps[i].sigterm();
			exitCodes.add(apps[i].awaitExit(EXIT));
			exitMs.add(Duration.ofNanos(System.nanoTime() - stopping).toMillis());
			timeline.add(String.format("+%6d ms  %s exited with code %d after %d ms", elapsedMs(started), server,
					exitCodes.get(step), exitMs.get(step)));
			logs.add(apps[i].log());
			apps[i] = track(SampleAppProcess.start(label + "-" + server + "-2", serverPorts.get(server), appArgs));
			SampleAppProcess restarted = apps[i].awaitReady(STARTUP);
			haproxy.awaitUp(server, Duration.ofSeconds(30), restarted::isAlive);
			timeline.add(String.format("+%6d ms  %s restarted and UP in HAProxy", elapsedMs(started), server));
		}
		awaitTicking(chromium, seenAtStops.get(seenAtStops.size() - 1) + TICKS_AROUND);
		Page page = page(chromium);
		seenAtStops.add(page.seen().size());
		timeline.add(String.format("+%6d ms  the page has seen %d ticks", elapsedMs(started), page.seen().size()));
		Rollout rollout = new Rollout(page, stopped, streamOn, seenAtStops, exitCodes, exitMs, logs);
		report(label, rollout, timeline, haproxy.logFile(), chromium.logFile());
		return rollout;
	}

	/**
	 * Wait until the page's stream is open and it has seen at least that many ticks.
	 */
	private static Page awaitTicking(HeadlessChromium chromium, int ticks) throws Exception {
		long deadline = System.nanoTime() + STREAM.toNanos();
		Page page = null;
		while (System.nanoTime() - deadline < 0) {
			page = page(chromium);
			if (page.open() && page.seen().size() >= ticks) {
				return page;
			}
			SampleAppProcess.sleep(INTERVAL);
		}
		throw new IllegalStateException("The page's stream did not reach " + ticks + " ticks within " + STREAM
				+ ": " + page + "; logs in " + SampleAppProcess.logDirectory());
	}

	/**
	 * Return the one server that serves the browser's stream now, once the stream is open
	 * and HAProxy counts exactly one session on the servers.
	 */
	private static String awaitStreamHolder(HaproxyProcess haproxy, HeadlessChromium chromium) throws Exception {
		long deadline = System.nanoTime() + STREAM.toNanos();
		Map<String, Integer> sessions = Map.of();
		while (System.nanoTime() - deadline < 0) {
			if (page(chromium).open()) {
				sessions = haproxy.currentSessions();
				if (sessions.values().stream().mapToInt(Integer::intValue).sum() == 1) {
					return sessions.entrySet().stream().filter((entry) -> entry.getValue() == 1).findFirst()
						.orElseThrow().getKey();
				}
			}
			SampleAppProcess.sleep(INTERVAL);
		}
		throw new IllegalStateException("HAProxy did not count the browser's one stream on one server within "
				+ STREAM + ": current sessions " + sessions);
	}

	private static Page page(HeadlessChromium chromium) throws Exception {
		JsonNode state = chromium.evaluate("window.tickerState ? window.tickerState() : null");
		if (state.isMissingNode() || state.isNull()) {
			return new Page(List.of(), 0, 0, 0, 0, 0, -1);
		}
		List<Long> seen = new ArrayList<>();
		state.get("seen").forEach((tick) -> seen.add(tick.asLong()));
		return new Page(seen, state.get("gaps").asInt(), state.get("reconnects").asInt(), state.get("errors").asInt(),
				state.get("opens").asInt(), state.get("longestPause").asLong(), state.get("readyState").asInt());
	}

	private static long elapsedMs(long started) {
		return Duration.ofNanos(System.nanoTime() - started).toMillis();
	}

	private static void report(String label, Rollout rollout, List<String> timeline, Path haproxyLog,
			Path chromiumLog) throws IOException {
		String prefix = "[" + label + "] ";
		timeline.forEach((line) -> System.out.println(prefix + line));
		Page page = rollout.page();
		List<Long> seen = page.seen();
		long duplicates = seen.size() - seen.stream().distinct().count();
		long missing = seen.isEmpty() ? 0 : seen.get(seen.size() - 1) - seen.stream().distinct().count();
		System.out.println(prefix + String.format(
				"BROWSER %s: ticks %s..%s (%d seen), %d missing, %d duplicate(s), page gaps %d, shutdown events %d, "
						+ "error events %d, opened %d times, longest pause %d ms; stopped %s, stream on the stopped "
						+ "instance %s, SSE streams handed off %s, exit codes %s after %s ms",
				label, seen.isEmpty() ? "-" : seen.get(0), seen.isEmpty() ? "-" : seen.get(seen.size() - 1),
				seen.size(), missing, duplicates, page.gaps(), page.shutdownEvents(), page.errors(), page.opens(),
				page.longestPauseMs(), rollout.stopped(), rollout.streamOn(), rollout.sseStreamsHandedOff(),
				rollout.exitCodes(),
				rollout.exitMs()));
		System.out.println(prefix + "logs in " + SampleAppProcess.logDirectory() + " (" + label + "-*.log), HAProxy: "
				+ haproxyLog + ", chromium: " + chromiumLog);
	}

	private <T extends AutoCloseable> T track(T resource) {
		this.running.add(resource);
		return resource;
	}

	/**
	 * What the page counted ({@code window.tickerState()}).
	 *
	 * @param seen the tick ids in the order they arrived
	 * @param gaps ticks that did not follow the previous one
	 * @param shutdownEvents {@code shutdown} events (the page's "reconnects")
	 * @param errors {@code error} events: the stream ended or failed
	 * @param opens times the {@code EventSource} opened
	 * @param longestPauseMs the longest time between two ticks
	 * @param readyState the {@code EventSource}'s state: 0 connecting, 1 open, 2 closed
	 */
	private record Page(List<Long> seen, int gaps, int shutdownEvents, int errors, int opens, long longestPauseMs,
			int readyState) {

		boolean open() {
			return this.readyState == 1;
		}

		@Override
		public String toString() {
			return String.format("%d ticks seen (last %s), gaps %d, shutdown events %d, error events %d, opened %d, "
					+ "readyState %d", this.seen.size(), this.seen.isEmpty() ? "-" : this.seen.get(this.seen.size() - 1),
					this.gaps, this.shutdownEvents, this.errors, this.opens, this.readyState);
		}

	}

	/**
	 * What one rollout did.
	 *
	 * @param page what the page counted at the end
	 * @param stopped the instances in the order they were stopped
	 * @param streamOn for each stop, whether the browser's stream was on the stopped
	 * instance (HAProxy's current sessions just before SIGTERM)
	 * @param seenAtStops ticks the page had seen at each SIGTERM, and at the end
	 * @param exitCodes exit codes of the stopped instances
	 * @param exitMs time from SIGTERM to exit of each stopped instance
	 * @param logs the log of each stopped instance
	 */
	private record Rollout(Page page, List<String> stopped, List<Boolean> streamOn, List<Integer> seenAtStops,
			List<Integer> exitCodes, List<Long> exitMs, List<String> logs) {

		/**
		 * Return the SSE streams in flight at the starter's hand-off, from each stopped
		 * instance's log: {@code -1} where there is no such line (no stream, or no
		 * starter).
		 */
		List<Integer> sseStreamsHandedOff() {
			return this.logs.stream().map((log) -> {
				Matcher matcher = SSE_IN_FLIGHT.matcher(log);
				return matcher.find() ? Integer.parseInt(matcher.group(1)) : -1;
			}).toList();
		}

	}

}
