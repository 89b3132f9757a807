package dev.graceful.shutdown.messaging.kafka;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.annotation.PreDestroy;
import org.apache.kafka.clients.admin.AdminClient;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import reactor.core.publisher.Mono;

import org.springframework.boot.Banner;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.kafka.test.EmbeddedKafkaKraftBroker;

import dev.graceful.shutdown.ShutdownReport;
import dev.graceful.shutdown.ShutdownReport.Counts;
import dev.graceful.shutdown.ShutdownReport.Outcome;
import dev.graceful.shutdown.ShutdownReport.Phase;
import dev.graceful.shutdown.ShutdownReports;
import dev.graceful.shutdown.metrics.GracefulShutdownMetrics;
import dev.graceful.shutdown.testsupport.ListenerApplications;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Kafka listener containers against a real broker (embedded KRaft, in this JVM): with the
 * starter a container stops taking records when the shutdown starts, finishes the record
 * in its listener, hands back the rest of its poll (not committed, so the next consumer
 * of the group gets each record once) and is a step of the report beside the delay; with
 * Spring Boot alone (the control) the container keeps taking the records of its last poll
 * after the shutdown has started.
 */
@Timeout(180)
@EnabledIfSystemProperty(named = "graceful.tests.heavy", matches = "true")
class KafkaListenerShutdownTests {

	private static final int RECORDS = 30;

	private static EmbeddedKafkaKraftBroker broker;

	private final ListenerApplications applications = new ListenerApplications();

	@BeforeAll
	static void startBroker() {
		broker = new EmbeddedKafkaKraftBroker(1, 1, "jobs-graceful", "jobs-plain", "async-graceful", "async-plain",
				"mono-graceful", "mono-plain");
		broker.afterPropertiesSet();
	}

	@AfterAll
	static void stopBroker() {
		if (broker != null) {
			broker.destroy();
		}
	}

	@AfterEach
	void closeContexts() {
		this.applications.close();
	}

	@Test
	void listenerStopsWithTheShutdownFinishesItsRecordAndHandsBackTheRestOfItsPoll() throws Exception {
		produce("jobs-graceful");
		ConfigurableApplicationContext first = run("jobs-graceful", "graceful.shutdown.delay=3s");
		Jobs jobs = first.getBean(Jobs.class);
		jobs.awaitProcessed(5);
		Gauge inFlight = first.getBean(MeterRegistry.class)
			.find(GracefulShutdownMetrics.PARTICIPANT_ACTIVE)
			.tag("participant", "kafka-listener-jobs")
			.gauge();
		assertThat(inFlight).isNotNull();
		assertThat(inFlight.value()).isBetween(0.0, 1.0);

		ShutdownReport report = ShutdownReports.close(first);

		Phase listener = report.phase("kafka-listener-jobs");
		Phase delay = report.phase("delay");
		Counts counts = listener.counts();
		int processed = jobs.processed.size();
		long committed = committedOffset("jobs-graceful");
		System.out.println("Kafka listener with the starter: " + processed + " of " + RECORDS
				+ " processed before exit, " + jobs.startedAfterClose + " started after the shutdown started, "
				+ counts + ", committed offset " + committed + ", step " + listener.durationMs() + " ms");
		assertThat(listener.outcome()).isEqualTo(Outcome.COMPLETED);
		// What was in the listener when it stopped finished; the rest of the poll went back.
		assertThat(counts).isEqualTo(new Counts(counts.inFlightAtStart(), counts.inFlightAtStart(), 0, 0,
				RECORDS - processed));
		assertThat(counts.inFlightAtStart()).isLessThanOrEqualTo(1);
		assertThat(jobs.startedAfterClose.get()).isLessThanOrEqualTo(1);
		assertThat(processed).isLessThan(RECORDS);
		assertThat(committed).isEqualTo(processed);
		// Beside the delay: it ends while the delay still runs.
		assertThat(listener.startOffsetMs()).isLessThanOrEqualTo(delay.startOffsetMs());
		assertThat(listener.startOffsetMs() + listener.durationMs())
			.isLessThan(delay.startOffsetMs() + delay.durationMs());

		// The next consumer of the group gets exactly what was handed back.
		ConfigurableApplicationContext second = run("jobs-graceful", "graceful.shutdown.delay=0");
		Jobs next = second.getBean(Jobs.class);
		next.awaitProcessed(RECORDS - processed);
		Thread.sleep(500);
		List<String> all = new ArrayList<>(jobs.processed);
		all.addAll(next.processed);
		assertThat(all).hasSize(RECORDS);
		assertThat(new HashSet<>(all)).hasSize(RECORDS);
	}

	@Test
	void withoutTheStarterTheListenerKeepsTakingRecordsAfterTheShutdownStarted() throws Exception {
		produce("jobs-plain");
		ConfigurableApplicationContext context = run("jobs-plain", "graceful.shutdown.enabled=false");
		Jobs jobs = context.getBean(Jobs.class);
		jobs.awaitProcessed(5);
		long start = System.nanoTime();

		context.close();

		long closeMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
		System.out.println("Kafka listener, Spring Boot alone: " + jobs.processed.size() + " of " + RECORDS
				+ " processed before exit, " + jobs.startedAfterClose + " started after the shutdown started, close "
				+ closeMs + " ms");
		// The whole last poll is worked off during the shutdown, before anything else stops.
		assertThat(jobs.processed).hasSize(RECORDS);
		assertThat(jobs.startedAfterClose.get()).isGreaterThan(1);
		assertThat(committedOffset("jobs-plain")).isEqualTo(RECORDS);
	}

	@Test
	void asyncListenerResultInFlightAtShutdownCompletesBeforeItsBeansAreDestroyed() throws Exception {
		Async graceful = asyncResultAtShutdown("async-graceful", "graceful.shutdown.enabled=true");
		Async plain = asyncResultAtShutdown("async-plain", "graceful.shutdown.enabled=false");
		System.out.println("Kafka async listener, a 1.5 s result in flight at shutdown: with the starter " + graceful
				+ "; Spring Boot alone " + plain);
		assertThat(graceful.report.phase("kafka-listener-async").counts()).isEqualTo(new Counts(1, 1, 0, 0, 0));
		assertThat(graceful.recorded).isEqualTo(1);
		assertThat(graceful.afterDestroy).isZero();
		// Spring Boot alone: the result completes into a destroyed bean.
		assertThat(plain.afterDestroy).isEqualTo(1);
	}

	@Test
	void monoListenerResultInFlightAtShutdownCompletesBeforeItsBeansAreDestroyed() throws Exception {
		Async graceful = asyncResultAtShutdown(MonoApplication.class, "mono-graceful",
				"graceful.shutdown.enabled=true");
		Async plain = asyncResultAtShutdown(MonoApplication.class, "mono-plain", "graceful.shutdown.enabled=false");
		System.out.println("Kafka Mono listener, a 1.5 s result in flight at shutdown: with the starter " + graceful
				+ "; Spring Boot alone " + plain);
		assertThat(graceful.report.phase("kafka-listener-mono").counts()).isEqualTo(new Counts(1, 1, 0, 0, 0));
		assertThat(graceful.recorded).isEqualTo(1);
		assertThat(graceful.afterDestroy).isZero();
		assertThat(plain.afterDestroy).isEqualTo(1);
	}

	private Async asyncResultAtShutdown(String topic, String enabled) throws Exception {
		return asyncResultAtShutdown(AsyncApplication.class, topic, enabled);
	}

	private Async asyncResultAtShutdown(Class<?> application, String topic, String enabled) throws Exception {
		Map<String, Object> config = Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.getBrokersAsString(),
				ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
				ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
		try (KafkaProducer<String, String> producer = new KafkaProducer<>(config)) {
			producer.send(new ProducerRecord<>(topic, "0")).get(30, TimeUnit.SECONDS);
		}
		ConfigurableApplicationContext context = new SpringApplicationBuilder(application)
			.web(WebApplicationType.NONE)
			.bannerMode(Banner.Mode.OFF)
			.properties("spring.kafka.bootstrap-servers=" + broker.getBrokersAsString(),
					"spring.kafka.consumer.auto-offset-reset=earliest", "test.topic=" + topic, enabled)
			.run();
		this.applications.add(context);
		Started jobs = context.getBean(Started.class);
		Ledger ledger = context.getBean(Ledger.class);
		assertThat(jobs.awaitStarted()).isTrue();
		ShutdownReport report = context.containsBean("gracefulShutdownProgress") ? ShutdownReports.close(context)
				: null;
		if (report == null) {
			context.close();
		}
		assertThat(jobs.awaitEnded()).isTrue();
		return new Async(ledger.recorded.get(), ledger.afterDestroy.get(), report);
	}

	record Async(int recorded, int afterDestroy, ShutdownReport report) {

		@Override
		public String toString() {
			return this.recorded + " recorded, " + this.afterDestroy + " into a destroyed bean";
		}

	}

	private ConfigurableApplicationContext run(String topic, String... properties) {
		return this.applications.run(KafkaApplication.class,
				List.of("spring.kafka.bootstrap-servers=" + broker.getBrokersAsString(),
						"spring.kafka.consumer.group-id=" + topic, "spring.kafka.consumer.auto-offset-reset=earliest",
						"spring.kafka.consumer.max-poll-records=" + RECORDS, "test.topic=" + topic),
				properties);
	}

	private static void produce(String topic) {
		Map<String, Object> config = Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.getBrokersAsString(),
				ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
				ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
		try (KafkaProducer<String, String> producer = new KafkaProducer<>(config)) {
			for (int i = 0; i < RECORDS; i++) {
				producer.send(new ProducerRecord<>(topic, Integer.toString(i)));
			}
			producer.flush();
		}
	}

	private static long committedOffset(String group) throws Exception {
		try (AdminClient admin = AdminClient
			.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.getBrokersAsString()))) {
			OffsetAndMetadata offset = admin.listConsumerGroupOffsets(group)
				.partitionsToOffsetAndMetadata()
				.get(30, TimeUnit.SECONDS)
				.get(new TopicPartition(group, 0));
			return (offset != null) ? offset.offset() : 0;
		}
	}

	@SpringBootConfiguration(proxyBeanMethods = false)
	@EnableAutoConfiguration
	static class KafkaApplication {

		@Bean
		Jobs jobs() {
			return new Jobs();
		}

	}

	@SpringBootConfiguration(proxyBeanMethods = false)
	@EnableAutoConfiguration
	static class AsyncApplication {

		@Bean
		Ledger ledger() {
			return new Ledger();
		}

		@Bean
		AsyncJobs asyncJobs(Ledger ledger) {
			return new AsyncJobs(ledger);
		}

	}

	@SpringBootConfiguration(proxyBeanMethods = false)
	@EnableAutoConfiguration
	static class MonoApplication {

		@Bean
		Ledger ledger() {
			return new Ledger();
		}

		@Bean
		MonoJobs monoJobs(Ledger ledger) {
			return new MonoJobs(ledger);
		}

	}

	/**
	 * What the asynchronous listeners say: their record has reached them, their result has
	 * ended.
	 */
	interface Started {

		boolean awaitStarted() throws InterruptedException;

		boolean awaitEnded() throws InterruptedException;

	}

	/**
	 * A bean an asynchronous listener writes to; once destroyed, its connection is gone.
	 */
	static class Ledger {

		final AtomicInteger recorded = new AtomicInteger();

		final AtomicInteger afterDestroy = new AtomicInteger();

		private volatile boolean destroyed;

		void record() {
			if (this.destroyed) {
				this.afterDestroy.incrementAndGet();
			}
			else {
				this.recorded.incrementAndGet();
			}
		}

		@PreDestroy
		void destroy() {
			this.destroyed = true;
		}

	}

	static class AsyncJobs implements Started {

		final CountDownLatch started = new CountDownLatch(1);

		final CountDownLatch ended = new CountDownLatch(1);

		private final Ledger ledger;

		AsyncJobs(Ledger ledger) {
			this.ledger = ledger;
		}

		// Methods, not fields: the starter proxies this bean to count its results.
		@Override
		public boolean awaitStarted() throws InterruptedException {
			return this.started.await(60, TimeUnit.SECONDS);
		}

		@Override
		public boolean awaitEnded() throws InterruptedException {
			return this.ended.await(10, TimeUnit.SECONDS);
		}

		@KafkaListener(id = "async", groupId = "${test.topic}", topics = "${test.topic}")
		CompletableFuture<Void> on(String job) {
			CompletableFuture<Void> result = new CompletableFuture<>();
			Thread worker = new Thread(() -> {
				try {
					Thread.sleep(1500);
					this.ledger.record();
					result.complete(null);
				}
				catch (Throwable ex) {
					result.completeExceptionally(ex);
				}
				finally {
					this.ended.countDown();
				}
			});
			worker.setDaemon(true);
			worker.start();
			this.started.countDown();
			return result;
		}

	}

	static class MonoJobs implements Started {

		final CountDownLatch started = new CountDownLatch(1);

		final CountDownLatch ended = new CountDownLatch(1);

		private final Ledger ledger;

		MonoJobs(Ledger ledger) {
			this.ledger = ledger;
		}

		@Override
		public boolean awaitStarted() throws InterruptedException {
			return this.started.await(60, TimeUnit.SECONDS);
		}

		@Override
		public boolean awaitEnded() throws InterruptedException {
			return this.ended.await(10, TimeUnit.SECONDS);
		}

		@KafkaListener(id = "mono", groupId = "${test.topic}", topics = "${test.topic}")
		Mono<Void> on(String job) {
			this.started.countDown();
			return Mono.delay(Duration.ofMillis(1500))
				.doOnNext((tick) -> this.ledger.record())
				.doFinally((signal) -> this.ended.countDown())
				.then();
		}

	}

	static class Jobs extends ListenerApplications.Jobs {

		@KafkaListener(id = "jobs", groupId = "${test.topic}", topics = "${test.topic}")
		void on(String job) throws InterruptedException {
			starting();
			Thread.sleep(100);
			this.processed.add(job);
		}

	}

}
