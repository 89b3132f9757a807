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

import com.jayway.jsonpath.JsonPath;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

import org.springframework.kafka.test.EmbeddedKafkaKraftBroker;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two instances of the sample consume a Kafka topic with four partitions (a real broker,
 * embedded KRaft, started by this test) while a producer writes numbered jobs at a steady
 * rate on top of a backlog; each instance gets a real SIGTERM and is restarted in turn.
 * With the starter: every job is processed, each shutdown ends within its budget, no
 * record is started after the shutdown started but the one in the listener, the
 * duplicates are at most what was in flight at the stops, and each report's counts match
 * the consumer log. Spring Boot alone, in the same run: each instance keeps working off
 * its last poll after SIGTERM.
 */
@EnabledIfSystemProperty(named = "graceful.tests.heavy", matches = "true")
class KafkaRollingRestartIT {

	private static final int BACKLOG = 300;

	private static final Duration BUDGET = Duration.ofSeconds(20);

	private static final String STEP = "kafka-listener-kafka-jobs";

	private static EmbeddedKafkaKraftBroker broker;

	@TempDir
	Path temp;

	private final List<SampleAppProcess> apps = new ArrayList<>();

	@BeforeAll
	static void startBroker() {
		broker = new EmbeddedKafkaKraftBroker(1, 4, "jobs-graceful", "jobs-plain");
		broker.afterPropertiesSet();
	}

	@AfterAll
	static void stopBroker() {
		if (broker != null) {
			broker.destroy();
		}
	}

	@AfterEach
	void stopApps() {
		this.apps.forEach(SampleAppProcess::close);
	}

	@Test
	@Timeout(value = 6, unit = TimeUnit.MINUTES)
	void rollingRestartLosesNoJobAndTakesNoneAfterSigtermUnlikePlainSpringBoot() throws Exception {
		Rollout graceful = rollout("jobs-graceful", true);
		Rollout plain = rollout("jobs-plain", false);
		System.out.println("KAFKA with the starter: " + graceful);
		System.out.println("KAFKA Spring Boot alone: " + plain);

		assertThat(graceful.lost).as("jobs lost with the starter").isZero();
		assertThat(plain.lost).as("jobs lost by Spring Boot alone").isZero();
		assertThat(graceful.exitMs).allSatisfy((ms) -> assertThat(ms).isLessThan(BUDGET.toMillis()));
		assertThat(graceful.duplicates).isLessThanOrEqualTo(graceful.inFlightAtStop);
		for (Stop stop : graceful.stops) {
			// Only a record that was starting as the shutdown started; the rest of the poll went back.
			assertThat(stop.startedLate).as(stop.name).isLessThanOrEqualTo(1);
			// The report's records completed are those the log shows finishing after the shutdown
			// started (one more if a record ended in the moment between the start and the count).
			assertThat(stop.finishedLate).as(stop.name)
				.isBetween(stop.counts.get("completed"), stop.counts.get("completed") + 1);
			assertThat(stop.counts.get("completed")).isEqualTo(stop.counts.get("inFlightAtStart"));
			assertThat(stop.counts.get("abandoned")).isZero();
		}
		assertThat(graceful.stops.get(0).counts.get("handedBack")).as("handed back by the first instance stopped")
			.isPositive();
		// Spring Boot alone: the first instance stopped works off the rest of its poll after SIGTERM.
		assertThat(plain.stops.get(0).startedLate).as("records started after SIGTERM by Spring Boot alone")
			.isGreaterThan(1);
	}

	private Rollout rollout(String topic, boolean enabled) throws Exception {
		Path log = this.temp.resolve(topic + ".log");
		Producer producer = new Producer(topic);
		producer.backlog(BACKLOG);
		producer.start();
		Rollout rollout = new Rollout();
		try {
			SampleAppProcess a = start(topic, "a1", log, enabled);
			SampleAppProcess b = start(topic, "b1", log, enabled);
			awaitLines(log, "a1", 30);
			rollout.stops.add(stop(a, log, enabled));
			a = start(topic, "a2", log, enabled);
			awaitLines(log, "a2", 20);
			rollout.stops.add(stop(b, log, enabled));
			b = start(topic, "b2", log, enabled);
			awaitLines(log, "b2", 20);
			producer.finish();
			Set<String> sent = producer.acked();
			long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
			while (!readIds(log).containsAll(sent) && System.nanoTime() - deadline < 0) {
				SampleAppProcess.sleep(Duration.ofMillis(200));
			}
			rollout.stops.add(stop(a, log, enabled));
			rollout.stops.add(stop(b, log, enabled));
			List<String[]> lines = lines(log);
			Set<String> processed = new HashSet<>(readIds(log));
			rollout.sent = sent.size();
			rollout.processed = lines.size();
			rollout.lost = sent.stream().filter((id) -> !processed.contains(id)).count();
			rollout.duplicates = lines.size() - processed.size();
			for (Stop stop : rollout.stops) {
				rollout.exitMs.add(stop.exitMs);
				rollout.inFlightAtStop += stop.counts.getOrDefault("inFlightAtStart", 0);
			}
		}
		finally {
			producer.finish();
		}
		return rollout;
	}

	private SampleAppProcess start(String topic, String name, Path log, boolean enabled) {
		SampleAppProcess app = SampleAppProcess.start(topic + "-" + name, SampleAppProcess.freePort(),
				"--graceful.shutdown.enabled=" + enabled, "--graceful.shutdown.delay=2s",
				"--graceful.shutdown.timeout=" + BUDGET.toSeconds() + "s",
				"--graceful.shutdown.report.file=" + this.temp.resolve(topic + "-" + name + ".json"),
				"--sample.kafka.enabled=true", "--sample.kafka.topic=" + topic, "--sample.kafka.group=" + topic,
				"--sample.kafka.instance=" + name, "--sample.kafka.log-file=" + log,
				"--spring.kafka.bootstrap-servers=" + broker.getBrokersAsString(),
				"--spring.kafka.consumer.auto-offset-reset=earliest");
		this.apps.add(app);
		return app.awaitReady(Duration.ofSeconds(90));
	}

	private Stop stop(SampleAppProcess app, Path log, boolean enabled) throws IOException {
		String name = app.name().substring(app.name().lastIndexOf('-') + 1);
		long start = System.nanoTime();
		app.sigterm();
		app.awaitExit(BUDGET.plusSeconds(40));
		Stop stop = new Stop(name, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
		for (String[] line : lines(log)) {
			if (line[1].equals(name)) {
				stop.startedLate += Integer.parseInt(line[2]);
				stop.finishedLate += Integer.parseInt(line[3]);
			}
		}
		Path report = this.temp.resolve(app.name() + ".json");
		if (enabled) {
			List<Map<String, Object>> phases = JsonPath.parse(Files.readString(report))
				.read("$.phases[?(@.name == '" + STEP + "')]");
			assertThat(phases).as("report of " + name).hasSize(1);
			@SuppressWarnings("unchecked")
			Map<String, Integer> counts = (Map<String, Integer>) phases.get(0).get("counts");
			stop.counts.putAll(counts);
			assertThat(phases.get(0)).containsEntry("outcome", "COMPLETED");
		}
		return stop;
	}

	private static void awaitLines(Path log, String instance, int count) throws IOException {
		long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
		while (lines(log).stream().filter((line) -> line[1].equals(instance)).count() < count) {
			assertThat(System.nanoTime() - deadline).as(instance + " processed " + count + " jobs in time")
				.isNegative();
			SampleAppProcess.sleep(Duration.ofMillis(100));
		}
	}

	private static List<String> readIds(Path log) throws IOException {
		return lines(log).stream().map((line) -> line[0]).toList();
	}

	private static List<String[]> lines(Path log) throws IOException {
		if (!Files.exists(log)) {
			return List.of();
		}
		// A line being appended right now may be incomplete: only whole lines count.
		String text = Files.readString(log);
		text = text.substring(0, text.lastIndexOf('\n') + 1);
		return text.lines().map((line) -> line.split(" ")).filter((parts) -> parts.length == 4).toList();
	}

	/**
	 * Writes numbered jobs: a backlog at once, then one every 25 ms.
	 */
	private static final class Producer extends Thread {

		private final String topic;

		private final KafkaProducer<String, String> producer;

		private final Set<String> acked = ConcurrentHashMap.newKeySet();

		private volatile boolean running = true;

		private int next;

		Producer(String topic) {
			super("producer-" + topic);
			setDaemon(true);
			this.topic = topic;
			this.producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
					broker.getBrokersAsString(), ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
					ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class));
		}

		void backlog(int count) {
			for (int i = 0; i < count; i++) {
				send();
			}
			this.producer.flush();
		}

		private void send() {
			String id = Integer.toString(this.next++);
			this.producer.send(new ProducerRecord<>(this.topic, id, id), (metadata, ex) -> {
				if (ex == null) {
					this.acked.add(id);
				}
			});
		}

		@Override
		public void run() {
			while (this.running) {
				send();
				SampleAppProcess.sleep(Duration.ofMillis(25));
			}
		}

		void finish() throws InterruptedException {
			if (this.running) {
				this.running = false;
				join(5000);
				this.producer.flush();
				this.producer.close();
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

		int startedLate;

		int finishedLate;

		Stop(String name, long exitMs) {
			this.name = name;
			this.exitMs = exitMs;
		}

		@Override
		public String toString() {
			return this.name + ": exit " + this.exitMs + " ms, " + this.startedLate + " started and "
					+ this.finishedLate + " finished after SIGTERM" + (this.counts.isEmpty() ? "" : ", report " + this.counts);
		}

	}

	private static final class Rollout {

		final List<Stop> stops = new ArrayList<>();

		final List<Long> exitMs = new ArrayList<>();

		int sent;

		int processed;

		long lost;

		long duplicates;

		int inFlightAtStop;

		@Override
		public String toString() {
			return this.sent + " jobs sent, " + this.processed + " processed, " + this.lost + " lost, " + this.duplicates
					+ " duplicates (in flight at the stops: " + this.inFlightAtStop + "); " + this.stops;
		}

	}

}
