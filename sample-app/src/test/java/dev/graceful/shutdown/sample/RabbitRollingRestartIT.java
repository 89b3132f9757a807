package dev.graceful.shutdown.sample;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.jayway.jsonpath.JsonPath;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

import org.springframework.amqp.core.Queue;
import org.springframework.amqp.rabbit.connection.CachingConnectionFactory;
import org.springframework.amqp.rabbit.core.RabbitAdmin;
import org.springframework.amqp.rabbit.core.RabbitTemplate;

import dev.graceful.shutdown.testsupport.RabbitBroker;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two instances of the sample consume a RabbitMQ queue with manual acks (a real node of
 * Debian's rabbitmq-server, started by this test) while a producer publishes numbered jobs
 * with publisher confirms at a steady rate on top of a backlog; each instance gets a real
 * SIGTERM and is restarted in turn, the first while it processes a 6 s job. With the
 * starter: every job is processed, each shutdown ends within its budget, the 6 s job
 * finishes on the instance that had it, what the stopped instances had prefetched is
 * redelivered to the other one, and each report's counts match the consumer log: the
 * jobs in the listener at the stop are those the log shows finishing after it, and the
 * jobs handed back are those the log then shows redelivered. Spring Boot alone, in the
 * same run: Spring AMQP's 5 s shutdown timeout interrupts the 6 s job and it is
 * redelivered.
 */
@EnabledIfSystemProperty(named = "graceful.tests.heavy", matches = "true")
class RabbitRollingRestartIT {

	private static final int BACKLOG = 300;

	private static final Duration BUDGET = Duration.ofSeconds(20);

	private static final String STEP = "rabbit-listener-rabbit-jobs";

	private static final Pattern SLOW_START = Pattern.compile("^START slow-1 (\\S+)$", Pattern.MULTILINE);

	private static RabbitBroker broker;

	@TempDir
	Path temp;

	private final List<SampleAppProcess> apps = new ArrayList<>();

	@BeforeAll
	static void startBroker() throws Exception {
		broker = RabbitBroker.start();
	}

	@AfterAll
	static void stopBroker() throws Exception {
		if (broker != null) {
			broker.close();
		}
	}

	@AfterEach
	void stopApps() {
		this.apps.forEach(SampleAppProcess::close);
	}

	@Test
	@Timeout(value = 6, unit = TimeUnit.MINUTES)
	void rollingRestartLosesNoJobAndFinishesTheSlowOneUnlikePlainSpringBoot() throws Exception {
		Rollout graceful = rollout("rjobs-graceful", true);
		Rollout plain = rollout("rjobs-plain", false);
		System.out.println("RABBIT with the starter: " + graceful);
		System.out.println("RABBIT Spring Boot alone: " + plain);

		assertThat(graceful.lost).as("jobs lost with the starter").isZero();
		assertThat(plain.lost).as("jobs lost by Spring Boot alone").isZero();
		assertThat(graceful.exitMs).allSatisfy((ms) -> assertThat(ms).isLessThan(BUDGET.toMillis()));
		// At most the message each stopped consumer was processing can be processed twice.
		assertThat(graceful.duplicates).isLessThanOrEqualTo(graceful.exitMs.size());
		assertThat(graceful.startedLate).isLessThanOrEqualTo(graceful.exitMs.size());
		// The 6 s job finished where it started, once; Spring Boot alone cut it off and it came back.
		assertThat(graceful.slowFinishedBy).containsExactly(graceful.slowStartedOn + " 0");
		assertThat(plain.slowFinishedBy).hasSize(1)
			.allSatisfy((by) -> assertThat(by).doesNotStartWith(plain.slowStartedOn + " ").endsWith(" 1"));
		assertThat(graceful.redelivered).as("prefetched messages redelivered after the stops").isPositive();
		for (Stop stop : graceful.stops) {
			assertThat(stop.outcome).as(stop.name).isEqualTo("COMPLETED");
			assertThat(stop.startedLate).as(stop.name).isLessThanOrEqualTo(1);
			// The report's jobs completed are those the log shows finishing after the shutdown
			// started (one more if a job ended in the moment between the start and the count).
			assertThat(stop.counts.get("completed")).as(stop.name).isEqualTo(stop.counts.get("inFlightAtStart"));
			assertThat(stop.finishedLate).as(stop.name)
				.isBetween(stop.counts.get("completed"), stop.counts.get("completed") + 1);
			assertThat(stop.counts.get("abandoned")).as(stop.name).isZero();
			if (stop.redeliveredAfter >= 0) {
				// What the report says was handed back is what the other instance then got
				// redelivered (one more if the broker sent a job in the moment the channel closed:
				// requeued, not counted).
				assertThat(stop.redeliveredAfter).as(stop.name + ": redelivered after the stop")
					.isBetween(stop.counts.get("handedBack"), stop.counts.get("handedBack") + 1);
			}
		}
		// The first instance stopped had the 6 s job in its listener and prefetched more meanwhile.
		assertThat(graceful.stops.get(0).counts).containsEntry("inFlightAtStart", 1);
		assertThat(graceful.stops.get(0).counts.get("handedBack")).as("handed back by the first instance stopped")
			.isPositive();
	}

	private Rollout rollout(String queue, boolean enabled) throws Exception {
		Path log = this.temp.resolve(queue + ".log");
		Producer producer = new Producer(queue);
		Rollout rollout = new Rollout();
		try {
			producer.backlog(BACKLOG);
			producer.start();
			SampleAppProcess a = start(queue, "a1", log, enabled);
			SampleAppProcess b = start(queue, "b1", log, enabled);
			awaitDone(log, BACKLOG);
			producer.sendSlow();
			Matcher slow = awaitLog(log, SLOW_START);
			rollout.slowStartedOn = slow.group(1);
			SampleAppProcess first = rollout.slowStartedOn.equals("a1") ? a : b;
			SampleAppProcess second = (first == a) ? b : a;
			String firstNext = (first == a) ? "a2" : "b2";
			String secondNext = (first == a) ? "b2" : "a2";
			rollout.stops.add(stop(first, log, enabled, true));
			first = start(queue, firstNext, log, enabled);
			awaitLines(log, firstNext, 20);
			rollout.stops.add(stop(second, log, enabled, true));
			second = start(queue, secondNext, log, enabled);
			awaitLines(log, secondNext, 20);
			producer.finish();
			Set<String> sent = producer.acked();
			long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
			while (!ids(log).containsAll(sent) && System.nanoTime() - deadline < 0) {
				SampleAppProcess.sleep(Duration.ofMillis(200));
			}
			rollout.stops.add(stop(first, log, enabled, true));
			// Nobody is left to take what the last one hands back.
			rollout.stops.add(stop(second, log, enabled, false));
			rollout.stops.forEach((stop) -> rollout.exitMs.add(stop.exitMs));
			List<String[]> done = done(log);
			Set<String> processed = new HashSet<>(ids(log));
			rollout.sent = sent.size();
			rollout.processed = done.size();
			rollout.lost = sent.stream().filter((id) -> !processed.contains(id)).count();
			rollout.duplicates = done.size() - processed.size();
			for (String[] line : done) {
				rollout.startedLate += Integer.parseInt(line[2]);
				rollout.redelivered += Integer.parseInt(line[4]);
				if (line[0].equals("slow-1")) {
					rollout.slowFinishedBy.add(line[1] + " " + line[4]);
				}
			}
		}
		finally {
			producer.finish();
		}
		return rollout;
	}

	private SampleAppProcess start(String queue, String name, Path log, boolean enabled) {
		SampleAppProcess app = SampleAppProcess.start(queue + "-" + name, SampleAppProcess.freePort(),
				"--graceful.shutdown.enabled=" + enabled, "--graceful.shutdown.delay=2s",
				"--graceful.shutdown.timeout=" + BUDGET.toSeconds() + "s",
				// The listeners get what the budget leaves after the tasks and one cleanup: 16 s.
				"--graceful.shutdown.tasks.timeout=2s", "--graceful.shutdown.cleanup.timeout=2s",
				"--graceful.shutdown.report.file=" + this.temp.resolve(queue + "-" + name + ".json"),
				"--sample.rabbit.enabled=true",
				"--sample.rabbit.queue=" + queue, "--sample.rabbit.instance=" + name,
				"--sample.rabbit.log-file=" + log, "--spring.rabbitmq.host=127.0.0.1",
				"--spring.rabbitmq.port=" + broker.port());
		this.apps.add(app);
		return app.awaitReady(Duration.ofSeconds(90));
	}

	/**
	 * SIGTERM an instance, wait for its exit and read its report; with the starter and
	 * another instance running, wait until the log shows what it handed back redelivered.
	 */
	private Stop stop(SampleAppProcess app, Path log, boolean enabled, boolean othersConsume) throws IOException {
		String name = app.name().substring(app.name().lastIndexOf('-') + 1);
		int redeliveredBefore = redelivered(log);
		long start = System.nanoTime();
		app.sigterm();
		app.awaitExit(BUDGET.plusSeconds(40));
		Stop stop = new Stop(name, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
		for (String[] line : done(log)) {
			if (line[1].equals(name)) {
				stop.startedLate += Integer.parseInt(line[2]);
				stop.finishedLate += Integer.parseInt(line[3]);
			}
		}
		if (!enabled) {
			return stop;
		}
		List<Map<String, Object>> phases = JsonPath.parse(Files.readString(this.temp.resolve(app.name() + ".json")))
			.read("$.phases[?(@.name == '" + STEP + "')]");
		assertThat(phases).as("report of " + name).hasSize(1);
		@SuppressWarnings("unchecked")
		Map<String, Integer> counts = (Map<String, Integer>) phases.get(0).get("counts");
		assertThat(counts).as("counts of " + name).isNotNull();
		stop.counts.putAll(counts);
		stop.outcome = (String) phases.get(0).get("outcome");
		if (othersConsume) {
			int expected = redeliveredBefore + counts.get("handedBack");
			long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
			while (redelivered(log) < expected && System.nanoTime() - deadline < 0) {
				SampleAppProcess.sleep(Duration.ofMillis(100));
			}
			// Anything more would show in a moment.
			SampleAppProcess.sleep(Duration.ofSeconds(1));
			stop.redeliveredAfter = redelivered(log) - redeliveredBefore;
		}
		return stop;
	}

	private static int redelivered(Path log) throws IOException {
		return (int) done(log).stream().filter((line) -> line[4].equals("1")).count();
	}

	private static Matcher awaitLog(Path log, Pattern pattern) throws IOException {
		long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
		while (true) {
			Matcher matcher = pattern.matcher(Files.exists(log) ? Files.readString(log) : "");
			if (matcher.find()) {
				return matcher;
			}
			assertThat(System.nanoTime() - deadline).as(pattern + " in " + log).isNegative();
			SampleAppProcess.sleep(Duration.ofMillis(50));
		}
	}

	private static void awaitDone(Path log, int count) throws IOException {
		long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
		while (done(log).size() < count) {
			assertThat(System.nanoTime() - deadline).as(count + " jobs done in time").isNegative();
			SampleAppProcess.sleep(Duration.ofMillis(100));
		}
	}

	private static void awaitLines(Path log, String instance, int count) throws IOException {
		long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
		while (done(log).stream().filter((line) -> line[1].equals(instance)).count() < count) {
			assertThat(System.nanoTime() - deadline).as(instance + " processed " + count + " jobs in time")
				.isNegative();
			SampleAppProcess.sleep(Duration.ofMillis(100));
		}
	}

	private static List<String> ids(Path log) throws IOException {
		return done(log).stream().map((line) -> line[0]).toList();
	}

	private static List<String[]> done(Path log) throws IOException {
		if (!Files.exists(log)) {
			return List.of();
		}
		// A line being appended right now may be incomplete: only whole lines count.
		String text = Files.readString(log);
		text = text.substring(0, text.lastIndexOf('\n') + 1);
		return text.lines().map((line) -> line.split(" ")).filter((parts) -> parts.length == 5).toList();
	}

	/**
	 * Publishes numbered jobs with publisher confirms: a backlog at once, then one every
	 * 25 ms; a job counts as sent once the broker has confirmed it.
	 */
	private static final class Producer extends Thread {

		private final String queue;

		private final CachingConnectionFactory connectionFactory;

		private final RabbitTemplate template;

		private final Set<String> acked = ConcurrentHashMap.newKeySet();

		private volatile boolean running = true;

		private int next;

		Producer(String queue) {
			super("producer-" + queue);
			setDaemon(true);
			this.queue = queue;
			this.connectionFactory = new CachingConnectionFactory("127.0.0.1", broker.port());
			this.connectionFactory.setPublisherConfirmType(CachingConnectionFactory.ConfirmType.SIMPLE);
			new RabbitAdmin(this.connectionFactory).declareQueue(new Queue(queue));
			this.template = new RabbitTemplate(this.connectionFactory);
		}

		void backlog(int count) {
			for (int i = 0; i < count; i++) {
				send(Integer.toString(this.next++));
			}
		}

		synchronized void sendSlow() {
			send("slow-1");
		}

		private synchronized void send(String id) {
			try {
				this.template.invoke((operations) -> {
					operations.convertAndSend("", this.queue, id);
					operations.waitForConfirmsOrDie(5000);
					return null;
				});
				if (!id.startsWith("slow-")) {
					this.acked.add(id);
				}
			}
			catch (RuntimeException ex) {
				// Not confirmed: not counted as sent.
			}
		}

		@Override
		public void run() {
			while (this.running) {
				send(Integer.toString(this.next++));
				SampleAppProcess.sleep(Duration.ofMillis(25));
			}
		}

		void finish() throws InterruptedException {
			if (this.running) {
				this.running = false;
				join(5000);
				this.connectionFactory.destroy();
			}
		}

		Set<String> acked() {
			return this.acked;
		}

	}

	private static final class Stop {

		final String name;

		final long exitMs;

		final Map<String, Integer> counts = new HashMap<>();

		String outcome;

		int startedLate;

		int finishedLate;

		/** Jobs the log shows redelivered after the stop, or -1 if nobody was left to take them. */
		int redeliveredAfter = -1;

		Stop(String name, long exitMs) {
			this.name = name;
			this.exitMs = exitMs;
		}

		@Override
		public String toString() {
			return this.name + ": exit " + this.exitMs + " ms, " + this.startedLate + " started and "
					+ this.finishedLate + " finished after SIGTERM"
					+ ((this.redeliveredAfter >= 0) ? ", " + this.redeliveredAfter + " redelivered after it" : "")
					+ (this.counts.isEmpty() ? "" : ", report " + this.counts);
		}

	}

	private static final class Rollout {

		final List<Stop> stops = new ArrayList<>();

		final List<Long> exitMs = new ArrayList<>();

		final List<String> slowFinishedBy = new ArrayList<>();

		String slowStartedOn;

		int sent;

		int processed;

		long lost;

		long duplicates;

		int startedLate;

		int redelivered;

		@Override
		public String toString() {
			return this.sent + " jobs sent, " + this.processed + " processed, " + this.lost + " lost, " + this.duplicates
					+ " duplicates, " + this.redelivered + " redelivered, " + this.startedLate
					+ " started after a SIGTERM; the 6 s job started on " + this.slowStartedOn
					+ ", finished by (instance, redelivered) " + this.slowFinishedBy + "; SIGTERM to exit " + this.exitMs
					+ " ms; " + this.stops;
		}

	}

}
