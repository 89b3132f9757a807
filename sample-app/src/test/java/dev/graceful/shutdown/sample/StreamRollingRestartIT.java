package dev.graceful.shutdown.sample;

import java.io.IOException;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import dev.graceful.shutdown.testsupport.SseStream;
import dev.graceful.shutdown.testsupport.WebSocketStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * Rolling restart of two sample application instances behind a real HAProxy (HTTP and
 * TCP mode on Tomcat, HTTP mode on the others by default), on Tomcat ({@code servlet}),
 * Reactor Netty ({@code reactive}) and Jetty ({@code jetty}), while
 * {@value #SSE_CLIENTS} clients hold the ticker's server-sent event stream
 * ({@code /ticker}) and {@value #WEBSOCKET_CLIENTS} its WebSocket ({@code /ticks}), one
 * tick every 100 ms. Each client behaves as a browser's {@code EventSource} or a
 * reconnecting WebSocket client does: when its stream ends, whichever way, it reconnects
 * through HAProxy after {@value #RETRY_MS} ms and resumes after the last tick it received
 * ({@code Last-Event-ID}, {@code ?after=n}).
 * <p>
 * With the starter (delay 3 s, which covers HAProxy's two failed checks 500 ms apart)
 * this proves, for every client over both restarts: the ticks received form one
 * contiguous sequence from tick 1 on (0 missed, 0 duplicated), every reconnect succeeds
 * (the instance being stopped has left HAProxy's rotation before its streams end), every
 * SSE stream ends cleanly after the {@code shutdown} event and every WebSocket with 1001
 * after the application's resume message naming the last tick the client got, and each
 * instance exits with the SIGTERM exit code; no client goes 5 s without a tick.
 * <p>
 * Plain Spring Boot ({@code graceful.shutdown.enabled=false}), in the same run, is the
 * control: it waits for the streams, which never end by themselves, until its phase
 * timeout, then the server's stop ends them without a hand-off: SSE streams are cut (on
 * Tomcat behind HAProxy tcp, in one run, half of them ended with the chunked body's end)
 * and never get the {@code shutdown} event, WebSockets end without 1001 (Tomcat: 1006,
 * no close frame; Reactor Netty: 1005, a close frame without a code) or, on Jetty, with
 * Jetty's own 1001 at its shutdown's start, after no resume message. Its phase timeout
 * is set to 5 s to keep the run short; Spring Boot's default is 30 s, which makes every
 * stop 25 s longer and the figures otherwise the same. The ticker resumes from the
 * client's last tick on either side, so plain Spring Boot may lose no tick either; its
 * figures are printed beside the starter's (lines starting with {@code STREAM-ROLLOUT}).
 */
@EnabledIfSystemProperty(named = "graceful.tests.heavy", matches = "true")
class StreamRollingRestartIT {

	private static final String[] SERVERS = { "app1", "app2" };

	private static final int SSE_CLIENTS = 50;

	private static final int WEBSOCKET_CLIENTS = 50;

	/** How long a client waits before it reconnects, as {@code EventSource}'s retry. */
	private static final long RETRY_MS = 200;

	/** How often a client looks for new ticks: the resolution of the gaps measured. */
	private static final Duration POLL = Duration.ofMillis(20);

	private static final Duration TICK = Duration.ofMillis(100);

	/**
	 * The longest a client may go without a tick with the starter: the hand-off takes
	 * the retry, a connection through HAProxy and the first tick, 0.7 to 1.3 s on a
	 * shared, overloaded 2-core machine; a client stuck on a stream that no longer
	 * carries ticks goes without one until the clients stop (12 s once with plain Spring
	 * Boot).
	 */
	private static final Duration MAX_GAP = Duration.ofSeconds(5);

	private static final Duration STARTUP = Duration.ofSeconds(60);

	private static final Duration WARM_UP = Duration.ofSeconds(2);

	private static final Duration AFTER_ROLLOUT = Duration.ofSeconds(2);

	private static final Duration EXIT = Duration.ofSeconds(45);

	private static final String STARTER = "starter";

	private static final String PLAIN = "plain";

	private static final String SSE_CLEAN = "clean end after shutdown event";

	private static final String SSE_CLEAN_WITHOUT_EVENT = "clean end without shutdown event";

	private static final String SSE_CUT = "cut";

	private static final String FAILED = "failed";

	private static final List<String> table = new CopyOnWriteArrayList<>();

	private static long classStart;

	private final List<AutoCloseable> running = new ArrayList<>();

	@BeforeAll
	static void requireHaproxy() {
		classStart = System.nanoTime();
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
		System.out.println("STREAM-ROLLOUT rolling restart of 2 instances behind HAProxy, " + SSE_CLIENTS
				+ " SSE and " + WEBSOCKET_CLIENTS + " WebSocket clients, a tick every " + TICK.toMillis()
				+ " ms, reconnect after " + RETRY_MS + " ms; gaps measured to " + POLL.toMillis() + " ms");
		System.out.println(String.format("STREAM-ROLLOUT %-8s %-5s %-7s %-9s %6s %6s %5s %6s %6s %7s %6s  %s",
				"server", "mode", "side", "streams", "ticks", "missed", "dup", "recon", "failed", "max gap",
				"secs", "stream ends"));
		table.forEach(System.out::println);
		System.out.println(String.format("STREAM-ROLLOUT %d rollouts in %.0f s", table.size() / 2,
				(System.nanoTime() - classStart) / 1e9));
	}

	/**
	 * For each server, the starter, then plain Spring Boot; each runs a rollout behind
	 * HAProxy in each of its modes, in turn, with the same two instances (the second
	 * rollout starts with the instances the first restarted, which saves two startups).
	 * The modes are http and tcp on Tomcat (servlet), whose SSE streams end differently
	 * behind tcp, and http on the others, to keep the test command's run short (the hand-off
	 * does not depend on the balancer's mode). {@code stream.rollout.servers} and
	 * {@code stream.rollout.modes} (comma-separated; modes then for every server) choose
	 * others.
	 * @return server, side
	 */
	static Stream<Arguments> rollouts() {
		List<Arguments> rollouts = new ArrayList<>();
		for (String server : System.getProperty("stream.rollout.servers", "servlet,reactive,jetty").split(",")) {
			rollouts.add(Arguments.of(server.trim(), STARTER));
			rollouts.add(Arguments.of(server.trim(), PLAIN));
		}
		return rollouts.stream();
	}

	private static List<String> modes(String server) {
		String modes = System.getProperty("stream.rollout.modes", server.equals("servlet") ? "http,tcp" : "http");
		return Stream.of(modes.split(",")).map(String::trim).toList();
	}

	@ParameterizedTest(name = "{0}, {1}: rollouts behind HAProxy")
	@MethodSource("rollouts")
	@Timeout(value = 240, unit = TimeUnit.SECONDS)
	void rollingRestartsWithStreams(String server, String side) throws Exception {
		List<String> args = new ArrayList<>(List.of(
				"--spring.main.web-application-type=" + (server.equals("reactive") ? "reactive" : "servlet"),
				"--sample.ticker.interval=" + TICK.toMillis() + "ms", "--sample.misbehaving-cleanups=false"));
		if (server.equals("jetty")) {
			args.add("--sample.server=jetty");
		}
		if (side.equals(STARTER)) {
			args.add("--graceful.shutdown.delay=3s");
		}
		else {
			args.add("--graceful.shutdown.enabled=false");
			args.add("--spring.lifecycle.timeout-per-shutdown-phase=5s");
		}
		String[] appArgs = args.toArray(String[]::new);
		int[] ports = SampleAppProcess.freePorts(SERVERS.length);
		Map<String, Integer> serverPorts = new LinkedHashMap<>();
		SampleAppProcess[] apps = new SampleAppProcess[SERVERS.length];
		for (int i = 0; i < SERVERS.length; i++) {
			serverPorts.put(SERVERS[i], ports[i]);
			apps[i] = track(SampleAppProcess.start("streams-" + side + "-" + server + "-" + SERVERS[i] + "-0",
					ports[i], appArgs));
		}
		for (SampleAppProcess app : apps) {
			app.awaitReady(STARTUP);
		}
		for (String mode : modes(server)) {
			Rollout rollout = rollOut(server, mode, side, apps, serverPorts, appArgs);
			if (side.equals(STARTER)) {
				assertStarter(rollout);
			}
			else {
				assertPlain(rollout, server);
			}
		}
	}

	private static void assertCommon(Rollout rollout) {
		assertThat(rollout.exitCodes()).as("%s: exit codes after SIGTERM", rollout.mode())
			.containsExactly(SampleAppProcess.SIGTERM_EXIT_CODE, SampleAppProcess.SIGTERM_EXIT_CODE);
		for (Figures figures : List.of(rollout.sse(), rollout.webSockets())) {
			String what = rollout.mode() + " " + figures.kind();
			assertThat(figures.clientsWithoutTicks()).as("%s clients that received no tick", what).isZero();
			assertThat(figures.unexpected()).as("%s events that are neither a tick nor the hand-off's", what)
				.isZero();
			assertThat(figures.ends().values().stream().mapToInt(Integer::intValue).sum())
				.as("%s stream ends (each followed by one reconnect)", what)
				.isEqualTo(figures.reconnects());
		}
	}

	private static void assertStarter(Rollout rollout) {
		assertCommon(rollout);
		Figures sse = rollout.sse();
		Figures webSockets = rollout.webSockets();
		for (Figures figures : List.of(sse, webSockets)) {
			String details = rollout.mode() + " " + figures.kind() + ": " + figures + "\nfirst anomalies:\n"
					+ String.join("\n", figures.anomalies()) + "\ntimeline:\n" + String.join("\n", rollout.timeline());
			assertThat(figures.missed()).as("missed ticks; %s", details).isZero();
			assertThat(figures.duplicated()).as("duplicated ticks; %s", details).isZero();
			assertThat(figures.failedReconnects()).as("failed reconnects; %s", details).isZero();
			assertThat(figures.maxGapMs()).as("longest time a client went without a tick (ms); %s", details)
				.isLessThan(MAX_GAP.toMillis());
			// Every client is on app2 when it drains, and on app1 or not when app1 does.
			assertThat(figures.minEndsPerClient()).as("fewest stream ends of a client; %s", details).isEqualTo(1);
			assertThat(figures.maxEndsPerClient()).as("most stream ends of a client; %s", details)
				.isLessThanOrEqualTo(2);
		}
		assertThat(sse.ends()).as("%s SSE stream ends", rollout.mode()).isEqualTo(Map.of(SSE_CLEAN, sse.reconnects()));
		assertThat(sse.shutdownEvents()).as("%s shutdown events", rollout.mode()).isEqualTo(sse.reconnects());
		assertThat(webSockets.ends()).as("%s WebSocket ends", rollout.mode())
			.isEqualTo(Map.of("close 1001", webSockets.reconnects()));
		assertThat(webSockets.resumeHints())
			.as("%s WebSocket closes after a resume message naming the last tick; first anomalies:\n%s",
					rollout.mode(), String.join("\n", webSockets.anomalies()))
			.isEqualTo(webSockets.reconnects());
	}

	private static void assertPlain(Rollout rollout, String server) {
		assertCommon(rollout);
		Figures sse = rollout.sse();
		Figures webSockets = rollout.webSockets();
		String timeline = String.join("\n", rollout.timeline());
		// The control: plain Spring Boot ends the streams at its phase timeout without the
		// hand-off (SSE: cut, or on Tomcat behind HAProxy tcp some with a clean end, never
		// after a shutdown event; WebSockets without 1001), or this harness could not tell
		// an end from a hand-off and the starter's figures prove nothing.
		assertThat(sse.reconnects()).as("%s SSE ends under plain Spring Boot; timeline:\n%s", rollout.mode(),
				timeline)
			.isGreaterThan(0);
		assertThat(sse.ends()).as("%s SSE ends of plain Spring Boot", rollout.mode()).doesNotContainKey(SSE_CLEAN);
		assertThat(sse.shutdownEvents()).as("%s shutdown events from plain Spring Boot", rollout.mode()).isZero();
		assertThat(webSockets.reconnects())
			.as("%s WebSocket ends under plain Spring Boot; timeline:\n%s", rollout.mode(), timeline)
			.isGreaterThan(0);
		if (!server.equals("jetty")) {
			// Jetty's own graceful shutdown closes idle WebSockets with 1001 (and its own
			// reason), without the application's resume message.
			assertThat(webSockets.ends()).as("%s WebSocket ends of plain Spring Boot", rollout.mode())
				.doesNotContainKey("close 1001");
		}
		assertThat(webSockets.resumeHints()).as("%s resume messages from plain Spring Boot", rollout.mode())
			.isZero();
	}

	private Rollout rollOut(String server, String mode, String side, SampleAppProcess[] apps,
			Map<String, Integer> serverPorts, String[] appArgs) throws Exception {
		String label = "streams-" + side + "-" + server + "-" + mode;
		int[] ports = SampleAppProcess.freePorts(2);
		int frontendPort = ports[0];
		HaproxyProcess haproxy = track(HaproxyProcess.start(mode, frontendPort, ports[1], serverPorts,
				SampleAppProcess.logDirectory().resolve(label + "-haproxy.log")));
		for (String name : SERVERS) {
			haproxy.awaitUp(name, Duration.ofSeconds(30), () -> true);
		}

		long start = System.nanoTime();
		List<String> timeline = new CopyOnWriteArrayList<>();
		Function<String, String> at = (event) -> String.format("+%6d ms  %s",
				TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start), event);
		HttpClient httpClient = HttpClient.newHttpClient();
		List<Client> clients = new ArrayList<>();
		for (int i = 0; i < SSE_CLIENTS; i++) {
			clients.add(new SseClient("sse-" + i, frontendPort));
		}
		for (int i = 0; i < WEBSOCKET_CLIENTS; i++) {
			clients.add(new WebSocketClient("ws-" + i, frontendPort, httpClient));
		}
		List<Integer> exitCodes = new ArrayList<>();
		try {
			clients.forEach(Client::start);
			timeline.add(at.apply("clients started"));
			SampleAppProcess.sleep(WARM_UP);
			for (int i = 0; i < SERVERS.length; i++) {
				String name = SERVERS[i];
				timeline.add(at.apply("SIGTERM " + apps[i]));
				apps[i].sigterm();
				int exitCode = apps[i].awaitExit(EXIT);
				exitCodes.add(exitCode);
				timeline.add(at.apply(name + " exited with code " + exitCode));
				apps[i] = track(SampleAppProcess.start(label + "-" + name, serverPorts.get(name), appArgs));
				SampleAppProcess restarted = apps[i].awaitReady(STARTUP);
				haproxy.awaitUp(name, Duration.ofSeconds(30), restarted::isAlive);
				timeline.add(at.apply(name + " restarted and UP in HAProxy"));
			}
			SampleAppProcess.sleep(AFTER_ROLLOUT);
		}
		finally {
			timeline.add(at.apply("stopping the clients"));
			clients.forEach(Client::stop);
			for (Client client : clients) {
				client.join(Duration.ofSeconds(10));
			}
			timeline.add(at.apply("clients stopped"));
			haproxy.close();
		}
		double seconds = (System.nanoTime() - start) / 1e9;
		Figures sse = Figures.of("SSE", clients.subList(0, SSE_CLIENTS));
		Figures webSockets = Figures.of("WebSocket", clients.subList(SSE_CLIENTS, clients.size()));
		String prefix = "[" + label + "] ";
		timeline.forEach((line) -> System.out.println(prefix + line));
		for (Figures figures : List.of(sse, webSockets)) {
			System.out.println(prefix + figures.kind() + ": " + figures);
			figures.anomalies().forEach((anomaly) -> System.out.println(prefix + "  " + anomaly));
			table.add(String.format("STREAM-ROLLOUT %-8s %-5s %-7s %-9s %6d %6d %5d %6d %6d %4d ms %6.1f  %s",
					server, mode, side, figures.kind(), figures.ticks(), figures.missed(), figures.duplicated(),
					figures.reconnects(), figures.failedReconnects(), figures.maxGapMs(), seconds,
					figures.ends()));
		}
		System.out.println(prefix + "logs in " + SampleAppProcess.logDirectory() + " (" + label + "-*.log)");
		return new Rollout(mode, sse, webSockets, exitCodes, timeline);
	}

	private <T extends AutoCloseable> T track(T resource) {
		this.running.add(resource);
		return resource;
	}

	/**
	 * What one rollout did.
	 *
	 * @param mode HAProxy's mode
	 * @param sse what the SSE clients saw
	 * @param webSockets what the WebSocket clients saw
	 * @param exitCodes exit codes of the stopped instances, in order
	 * @param timeline what happened when
	 */
	private record Rollout(String mode, Figures sse, Figures webSockets, List<Integer> exitCodes,
			List<String> timeline) {
	}

	/**
	 * What the clients of one kind saw, added up.
	 *
	 * @param kind {@code SSE} or {@code WebSocket}
	 * @param ticks ticks received
	 * @param missed ticks a client never received although it received a later one
	 * @param duplicated ticks a client received again
	 * @param unexpected events or messages that are neither a tick nor the hand-off's
	 * @param reconnects connection attempts after each client's first
	 * @param failedReconnects attempts that brought no tick (refused, reset, an error
	 * status, a failed handshake, or a stream that ended before its first tick)
	 * @param ends stream ends by kind (SSE: clean or cut; WebSocket: close code, 1006
	 * without a close frame)
	 * @param shutdownEvents SSE {@code shutdown} events received
	 * @param resumeHints WebSocket closes right after the application's resume message
	 * naming the last tick received
	 * @param maxGapMs the longest time a client went without a new tick, from its first
	 * tick until the clients were stopped
	 * @param clientsWithoutTicks clients that never received a tick
	 * @param minEndsPerClient the fewest stream ends of a client
	 * @param maxEndsPerClient the most stream ends of a client
	 * @param anomalies the first few things that went wrong, for the failure message
	 */
	private record Figures(String kind, long ticks, long missed, long duplicated, long unexpected, int reconnects,
			int failedReconnects, Map<String, Integer> ends, int shutdownEvents, int resumeHints, long maxGapMs,
			int clientsWithoutTicks, int minEndsPerClient, int maxEndsPerClient, List<String> anomalies) {

		static Figures of(String kind, List<Client> clients) {
			long ticks = 0;
			long missed = 0;
			long duplicated = 0;
			long unexpected = 0;
			int reconnects = 0;
			int failed = 0;
			int shutdownEvents = 0;
			int resumeHints = 0;
			long maxGapNanos = 0;
			int withoutTicks = 0;
			int minEnds = Integer.MAX_VALUE;
			int maxEnds = 0;
			Map<String, Integer> ends = new TreeMap<>();
			List<String> anomalies = new ArrayList<>();
			for (Client client : clients) {
				List<Long> received = client.ticks();
				ticks += received.size();
				if (received.isEmpty()) {
					withoutTicks++;
				}
				long highest = 0;
				for (long tick : received) {
					if (tick <= highest) {
						duplicated++;
						anomaly(anomalies, client.name() + ": tick " + tick + " again after " + highest);
					}
					else {
						if (tick > highest + 1) {
							missed += tick - highest - 1;
							anomaly(anomalies, client.name() + ": ticks " + (highest + 1) + " to " + (tick - 1)
									+ " missed");
						}
						highest = tick;
					}
				}
				unexpected += client.unexpected();
				reconnects += client.attempts() - 1;
				failed += client.failed();
				shutdownEvents += client.shutdownEvents();
				resumeHints += client.resumeHints();
				maxGapNanos = Math.max(maxGapNanos, client.maxGapNanos());
				int clientEnds = 0;
				for (Map.Entry<String, Integer> end : client.ends().entrySet()) {
					ends.merge(end.getKey(), end.getValue(), Integer::sum);
					clientEnds += end.getValue();
				}
				minEnds = Math.min(minEnds, clientEnds);
				maxEnds = Math.max(maxEnds, clientEnds);
				client.anomalies().forEach((anomaly) -> anomaly(anomalies, client.name() + ": " + anomaly));
			}
			return new Figures(kind, ticks, missed, duplicated, unexpected, reconnects, failed, ends, shutdownEvents,
					resumeHints, TimeUnit.NANOSECONDS.toMillis(maxGapNanos), withoutTicks, minEnds, maxEnds,
					anomalies);
		}

		private static void anomaly(List<String> anomalies, String anomaly) {
			if (anomalies.size() < 20) {
				anomalies.add(anomaly);
			}
		}

		@Override
		public String toString() {
			return this.ticks + " ticks, " + this.missed + " missed, " + this.duplicated + " duplicated, "
					+ this.unexpected + " unexpected, " + this.reconnects + " reconnects, " + this.failedReconnects
					+ " failed, ends " + this.ends + " (" + this.minEndsPerClient + "-" + this.maxEndsPerClient
					+ " per client), " + this.shutdownEvents + " shutdown events, " + this.resumeHints
					+ " resume messages, longest without a tick " + this.maxGapMs + " ms";
		}

	}

	/**
	 * A client that holds one stream at a time on a thread of its own and reconnects
	 * after {@value #RETRY_MS} ms whenever it ends, resuming after its last tick.
	 */
	private abstract static class Client {

		private final String name;

		private final Thread thread;

		private final List<Long> ticks = new ArrayList<>();

		private final Map<String, Integer> ends = new TreeMap<>();

		private final List<String> anomalies = new ArrayList<>();

		private volatile boolean stopping;

		private volatile long stopNanos;

		private int attempts;

		private int failed;

		private long unexpected;

		private long lastTickNanos;

		private long maxGapNanos;

		Client(String name) {
			this.name = name;
			this.thread = new Thread(this::run, "stream-client-" + name);
			this.thread.setDaemon(true);
		}

		String name() {
			return this.name;
		}

		void start() {
			this.thread.start();
		}

		void stop() {
			this.stopNanos = System.nanoTime();
			this.stopping = true;
		}

		void join(Duration timeout) throws InterruptedException {
			this.thread.join(timeout.toMillis());
			if (this.thread.isAlive()) {
				throw new IllegalStateException(this.name + " still running " + timeout + " after it was stopped");
			}
			// The final gap: from the last tick to the stop.
			gap(this.stopNanos);
		}

		boolean stopping() {
			return this.stopping;
		}

		private void run() {
			while (this.attempts == 0 || !this.stopping) {
				this.attempts++;
				String end;
				try {
					end = session();
				}
				catch (InterruptedException ex) {
					Thread.currentThread().interrupt();
					return;
				}
				if (end == null) {
					return;
				}
				this.ends.merge(end, 1, Integer::sum);
				try {
					Thread.sleep(RETRY_MS);
				}
				catch (InterruptedException ex) {
					Thread.currentThread().interrupt();
					return;
				}
			}
		}

		/**
		 * Open a stream and read it until it ends or the client is stopped.
		 * @return how it ended, {@code null} if the client ended it
		 * @throws InterruptedException if interrupted
		 */
		abstract String session() throws InterruptedException;

		long lastTick() {
			return this.ticks.isEmpty() ? 0 : this.ticks.get(this.ticks.size() - 1);
		}

		void tick(long n) {
			long now = System.nanoTime();
			gap(now);
			this.lastTickNanos = now;
			this.ticks.add(n);
		}

		private void gap(long now) {
			if (this.lastTickNanos != 0) {
				this.maxGapNanos = Math.max(this.maxGapNanos, now - this.lastTickNanos);
			}
		}

		void unexpected(String what) {
			this.unexpected++;
			anomaly("unexpected " + what);
		}

		void failed(String why) {
			this.failed++;
			anomaly("attempt " + this.attempts + " failed: " + why);
		}

		void anomaly(String anomaly) {
			if (this.anomalies.size() < 5) {
				this.anomalies.add(anomaly);
			}
		}

		// Read by the test thread after join().

		List<Long> ticks() {
			return this.ticks;
		}

		Map<String, Integer> ends() {
			return this.ends;
		}

		List<String> anomalies() {
			return this.anomalies;
		}

		int attempts() {
			return this.attempts;
		}

		int failed() {
			return this.failed;
		}

		long unexpected() {
			return this.unexpected;
		}

		long maxGapNanos() {
			return this.maxGapNanos;
		}

		int shutdownEvents() {
			return 0;
		}

		int resumeHints() {
			return 0;
		}

	}

	/**
	 * An {@code EventSource}: {@code GET /ticker}, then {@code Last-Event-ID} with the
	 * last tick's id on every reconnect. The {@code shutdown} event carries no id and is
	 * not a tick ({@code onmessage} does not see it).
	 */
	private static final class SseClient extends Client {

		private final int port;

		private int shutdownEvents;

		SseClient(String name, int port) {
			super(name);
			this.port = port;
		}

		@Override
		String session() throws InterruptedException {
			long lastTick = lastTick();
			SseStream stream;
			try {
				stream = SseStream.open(this.port, "/ticker", (lastTick > 0) ? Long.toString(lastTick) : null);
			}
			catch (IOException ex) {
				failed(ex.toString());
				return FAILED;
			}
			int ticksBefore = ticks().size();
			int seen = 0;
			boolean shutdownEvent = false;
			while (!stream.awaitEnd(POLL)) {
				if (stopping()) {
					stream.close();
					stream.awaitEnd(Duration.ofSeconds(5));
					return null;
				}
				seen = read(stream.events(), seen, false);
			}
			List<SseStream.Event> events = stream.events();
			read(events, seen, true);
			if (!events.isEmpty() && "shutdown".equals(events.get(events.size() - 1).name())) {
				shutdownEvent = true;
			}
			if (ticks().size() == ticksBefore) {
				// A refused or reset connection, an error status (no event), or an end
				// before the first tick.
				failed("no tick (" + events.size() + " events, ended " + (stream.endedCleanly() ? "cleanly" : "cut")
						+ ")");
				return FAILED;
			}
			if (stream.endedCleanly()) {
				return shutdownEvent ? SSE_CLEAN : SSE_CLEAN_WITHOUT_EVENT;
			}
			return SSE_CUT;
		}

		/**
		 * Take the events from {@code seen} on. While the stream is open, its last event
		 * may be incomplete: it is left for the next look unless it is a whole tick.
		 */
		private int read(List<SseStream.Event> events, int seen, boolean ended) {
			int at = seen;
			while (at < events.size()) {
				SseStream.Event event = events.get(at);
				boolean last = at == events.size() - 1;
				if ("shutdown".equals(event.name())) {
					if (last && !ended) {
						break;
					}
					this.shutdownEvents++;
				}
				else if (event.name() == null && event.id() != null && event.id().matches("\\d+")
						&& event.data().equals(Ticks.tick(Long.parseLong(event.id())))) {
					tick(Long.parseLong(event.id()));
				}
				else if (last && !ended) {
					break;
				}
				else {
					unexpected("event " + event);
				}
				at++;
			}
			return at;
		}

		@Override
		int shutdownEvents() {
			return this.shutdownEvents;
		}

	}

	/**
	 * A WebSocket client: {@code /ticks}, then {@code /ticks?after=n} with its last tick
	 * on every reconnect.
	 */
	private static final class WebSocketClient extends Client {

		private static final String RESUME = "resume /ticks?after=";

		private final int port;

		private final HttpClient httpClient;

		private int resumeHints;

		WebSocketClient(String name, int port, HttpClient httpClient) {
			super(name);
			this.port = port;
			this.httpClient = httpClient;
		}

		@Override
		String session() throws InterruptedException {
			long lastTick = lastTick();
			WebSocketStream stream;
			try {
				stream = WebSocketStream
					.openAsync(this.httpClient, this.port, "/ticks" + ((lastTick > 0) ? "?after=" + lastTick : ""))
					.get(15, TimeUnit.SECONDS);
			}
			catch (Exception ex) {
				failed("handshake: " + ex);
				return FAILED;
			}
			int ticksBefore = ticks().size();
			int seen = 0;
			Integer code;
			while ((code = stream.awaitClose(POLL)) == null) {
				if (stopping()) {
					stream.close();
					stream.awaitClose(Duration.ofSeconds(5));
					return null;
				}
				seen = read(stream.messages(), seen);
			}
			List<String> messages = stream.messages();
			read(messages, seen);
			if (ticks().size() == ticksBefore) {
				failed("no tick (closed " + code + ")");
				return FAILED;
			}
			String lastMessage = messages.isEmpty() ? null : messages.get(messages.size() - 1);
			if ((RESUME + lastTick()).equals(lastMessage)) {
				this.resumeHints++;
			}
			else if (code == 1001) {
				anomaly("closed 1001 after '" + lastMessage + "', not a resume message naming tick " + lastTick());
			}
			return "close " + code;
		}

		private int read(List<String> messages, int seen) {
			for (String message : messages.subList(seen, messages.size())) {
				if (message.matches("tick \\d+")) {
					tick(Long.parseLong(message.substring("tick ".length())));
				}
				else if (!message.matches(RESUME.replace("?", "\\?") + "\\d+")) {
					unexpected("message '" + message + "'");
				}
			}
			return messages.size();
		}

		@Override
		int resumeHints() {
			return this.resumeHints;
		}

	}

}
