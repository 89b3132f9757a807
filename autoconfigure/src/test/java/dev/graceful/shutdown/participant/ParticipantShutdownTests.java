package dev.graceful.shutdown.participant;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import org.springframework.boot.Banner;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.actuate.endpoint.SecurityContext;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.annotation.Bean;

import dev.graceful.shutdown.OnShutdown;
import dev.graceful.shutdown.ShutdownParticipant;
import dev.graceful.shutdown.ShutdownReport;
import dev.graceful.shutdown.ShutdownReport.Counts;
import dev.graceful.shutdown.ShutdownReport.Outcome;
import dev.graceful.shutdown.ShutdownReport.Phase;
import dev.graceful.shutdown.ShutdownReports;
import dev.graceful.shutdown.StreamHandOffListener;
import dev.graceful.shutdown.actuate.EndpointJson;
import dev.graceful.shutdown.actuate.GracefulShutdownEndpoint;
import dev.graceful.shutdown.streams.OpenStreams;
import dev.graceful.shutdown.streams.StreamHandOff;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

/**
 * Shutdown participants in real applications: each is a step of its own, runs beside the
 * lame-duck delay or the HTTP drain as it asks, and one that throws or hangs holds
 * neither the others nor the shutdown past the budget.
 */
@Timeout(120)
class ParticipantShutdownTests {

	private ConfigurableApplicationContext context;

	@AfterEach
	void closeContext() {
		if (this.context != null) {
			this.context.close();
		}
	}

	@Test
	void participantThatStartsWithTheShutdownDrainsBesideTheDelay() throws Exception {
		this.context = run(ConsumerApplication.class, WebApplicationType.SERVLET, "graceful.shutdown.delay=2s");
		Consumer consumer = this.context.getBean(Consumer.class);
		consumer.take(2, 3);

		ShutdownReport report = ShutdownReports.close(this.context);

		Phase participant = report.phase("consumer");
		Phase delay = report.phase("delay");
		assertThat(participant.outcome()).isEqualTo(Outcome.COMPLETED);
		assertThat(participant.counts()).isEqualTo(new Counts(2, 2, 0, 0, 3));
		assertThat(participant.detail()).isEqualTo("2 in flight at start, 2 completed, 0 abandoned, 3 handed back");
		// Beside the delay, not before or after it: it ends while the delay still runs.
		assertThat(participant.startOffsetMs()).isLessThanOrEqualTo(delay.startOffsetMs());
		assertThat(participant.startOffsetMs() + participant.durationMs())
			.isLessThan(delay.startOffsetMs() + delay.durationMs());
		assertThat(consumer.completed).hasValue(2);
		assertThat(report.phases()).extracting(Phase::name)
			.containsSubsequence("readiness", "delay", "drain", "participants", "tasks", "cleanup");
	}

	@Test
	void participantThatStartsAfterTheDelayKeepsTakingWorkUntilTheDrainStarts() throws Exception {
		this.context = run(ServerApplication.class, WebApplicationType.SERVLET, "graceful.shutdown.delay=1s");
		Server server = this.context.getBean(Server.class);

		ShutdownReport report = ShutdownReports.close(this.context);

		Phase participant = report.phase("server");
		Phase delay = report.phase("delay");
		assertThat(participant.outcome()).isEqualTo(Outcome.COMPLETED);
		assertThat(participant.startOffsetMs()).isGreaterThanOrEqualTo(delay.startOffsetMs() + delay.durationMs());
		assertThat(server.acceptingWhenDelayEnded).isTrue();
		assertThat(participant.counts()).isNull();
		assertThat(participant.detail()).isEqualTo("stopped accepting");
	}

	@Test
	void participantThatHoldsTheDrainStartEndsBeforeTheWebServersOwnShutdownStartsWithinItsBound()
			throws Exception {
		this.context = run(HoldingApplication.class, WebApplicationType.SERVLET, "graceful.shutdown.delay=0s");
		SmartLifecycle webServerShutdown = this.context.getBean("webServerGracefulShutdown", SmartLifecycle.class);
		Holder holder = this.context.getBean("holder", Holder.class);
		Holder shortHold = this.context.getBean("shortHold", Holder.class);
		holder.webServerShutdown = webServerShutdown;
		shortHold.webServerShutdown = webServerShutdown;

		ShutdownReport report = ShutdownReports.close(this.context);

		assertThat(report.phase("holder").outcome()).isEqualTo(Outcome.COMPLETED);
		assertThat(report.phase("shortHold").outcome()).isEqualTo(Outcome.COMPLETED);
		// Held for as long as it took (300 ms of a 5 s bound): the server's shutdown had
		// not started when it ended.
		assertThat(holder.serverRunningWhenEnded).isTrue();
		// Held for its bound only (100 ms), ended at 600 ms: the server's shutdown had started.
		assertThat(shortHold.serverRunningWhenEnded).isFalse();
	}

	@Test
	void streamThatBecomesReadyAndClosesAsTheHandOffBeginsCountsAsInFlightAtItsStartAndCompleted() throws Exception {
		this.context = run(ReadyAsTheHandOffBeginsApplication.class, WebApplicationType.NONE,
				"graceful.shutdown.delay=0s");

		ShutdownReport report = ShutdownReports.close(this.context);

		Phase handOff = report.phase("readyAsTheHandOffBegins");
		assertThat(handOff.outcome()).isEqualTo(Outcome.COMPLETED);
		assertThat(handOff.counts()).isEqualTo(new Counts(1, 1, 0, 0, 1));
		assertThat(handOff.detail()).isEqualTo("1 in flight at start, 1 completed, 0 abandoned, 1 handed back");
	}

	@Test
	void throwingAndHangingParticipantsDoNotStopTheOthersAndTheShutdownEndsWithinTheBudget() throws Exception {
		this.context = run(MisbehavingApplication.class, WebApplicationType.NONE, "graceful.shutdown.timeout=4s",
				"graceful.shutdown.tasks.timeout=500ms", "graceful.shutdown.cleanup.timeout=500ms",
				"graceful.shutdown.participants.timeout=1s", "graceful.shutdown.participants.cancel-grace=200ms");
		Consumer consumer = this.context.getBean(Consumer.class);
		consumer.take(1, 0);
		long start = System.nanoTime();

		ShutdownReport report = ShutdownReports.close(this.context);

		long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
		assertThat(report.phases())
			.filteredOn((phase) -> List.of("thrower", "hanger", "consumer").contains(phase.name()))
			.extracting(Phase::name, Phase::outcome)
			.containsExactlyInAnyOrder(tuple("thrower", Outcome.FAILED), tuple("hanger", Outcome.TIMED_OUT),
					tuple("consumer", Outcome.COMPLETED));
		assertThat(report.phase("thrower").detail()).contains("stopAccepting failed: java.lang.IllegalStateException");
		assertThat(report.phase("hanger").detail())
			.isEqualTo("stopAccepting did not return within 1000 ms; interrupted and abandoned");
		assertThat(report.phase("consumer").counts()).isEqualTo(new Counts(1, 1, 0, 0, 0));
		assertThat(report.phase("participants").outcome()).isEqualTo(Outcome.COMPLETED);
		assertThat(report.cleanups()).singleElement()
			.satisfies((cleanup) -> assertThat(cleanup.outcome()).isEqualTo(Outcome.COMPLETED));
		assertThat(report.totalMs()).isLessThan(report.budgetMs());
		assertThat(tookMs).isLessThan(report.budgetMs());
	}

	@Test
	void workStillInFlightAtTheDeadlineIsCancelledAndReportedAbandoned() throws Exception {
		this.context = run(StuckApplication.class, WebApplicationType.NONE,
				"graceful.shutdown.participants.timeout=300ms", "graceful.shutdown.participants.cancel-grace=100ms");
		Stuck stuck = this.context.getBean(Stuck.class);

		ShutdownReport report = ShutdownReports.close(this.context);

		Phase participant = report.phase("stuck");
		assertThat(participant.outcome()).isEqualTo(Outcome.TIMED_OUT);
		assertThat(participant.counts()).isEqualTo(new Counts(3, 1, 1, 1, 0));
		assertThat(participant.detail()).isEqualTo("3 in flight at start, 1 completed, 1 cancelled, 1 abandoned");
		assertThat(stuck.cancelled).isTrue();
	}

	@Test
	void participantsAreInTheEndpointPlanAndTheirTimingsAndWorkInTheMeters() throws Exception {
		this.context = run(ConsumerApplication.class, WebApplicationType.SERVLET,
				"management.endpoints.web.exposure.include=gracefulshutdown");
		Consumer consumer = this.context.getBean(Consumer.class);
		MeterRegistry registry = this.context.getBean(MeterRegistry.class);
		GracefulShutdownEndpoint endpoint = this.context.getBean(GracefulShutdownEndpoint.class);
		consumer.take(2, 0);

		Map<String, Object> running = EndpointJson.map(endpoint.shutdown(SecurityContext.NONE));
		double activeBefore = registry.get("graceful.shutdown.participant.active").tag("participant", "consumer")
			.gauge()
			.value();
		ShutdownReports.close(this.context);
		Map<String, Object> after = EndpointJson.map(endpoint.shutdown(SecurityContext.NONE));

		assertThat(EndpointJson.asList(EndpointJson.asMap(running.get("plan")).get("participants")))
			.containsExactly(Map.of("name", "consumer", "start", "WITH_SHUTDOWN"));
		assertThat(EndpointJson.asList(running.get("participants"))).singleElement()
			.satisfies((participant) -> assertThat(participant).containsEntry("name", "consumer")
				.containsEntry("state", "WAITING")
				.containsEntry("inFlight", 2L));
		assertThat(activeBefore).isEqualTo(2);
		assertThat(EndpointJson.asList(after.get("participants"))).singleElement()
			.satisfies((participant) -> assertThat(participant).containsEntry("state", "ENDED")
				.containsEntry("inFlight", 0L));
		Map<String, Object> phase = EndpointJson.asList(EndpointJson.asMap(after.get("report")).get("phases"))
			.stream()
			.filter((entry) -> "consumer".equals(entry.get("name")))
			.findFirst()
			.orElseThrow();
		assertThat(EndpointJson.asMap(phase.get("counts"))).containsEntry("inFlightAtStart", 2L)
			.containsEntry("completed", 2L)
			.containsEntry("cancelled", 0L)
			.containsEntry("abandoned", 0L);
		Timer timer = registry.get("graceful.shutdown.step")
			.tag("step", "consumer")
			.tag("outcome", "COMPLETED")
			.timer();
		assertThat(timer.count()).isOne();
		assertThat(registry.get("graceful.shutdown.participant.abandoned").tag("participant", "consumer").counter()
			.count()).isZero();
	}

	private static ConfigurableApplicationContext run(Class<?> application, WebApplicationType type,
			String... properties) {
		return new SpringApplicationBuilder(application).web(type)
			.bannerMode(Banner.Mode.OFF)
			.logStartupInfo(false)
			.properties("server.port=0")
			.properties(properties)
			.registerShutdownHook(false)
			.run();
	}

	/**
	 * Takes jobs and runs each for a while on a thread of its own; stops taking them when
	 * asked, reporting the ones it never took as handed back.
	 */
	static class Consumer implements ShutdownParticipant {

		final AtomicInteger running = new AtomicInteger();

		final AtomicInteger completed = new AtomicInteger();

		private final CountDownLatch release = new CountDownLatch(1);

		private volatile int queued;

		/**
		 * Take jobs that end once the shutdown has started, and leave some queued.
		 */
		void take(int jobs, int queued) {
			this.queued = queued;
			for (int i = 0; i < jobs; i++) {
				this.running.incrementAndGet();
				Thread worker = new Thread(() -> {
					try {
						this.release.await();
						Thread.sleep(200);
						this.completed.incrementAndGet();
					}
					catch (InterruptedException ex) {
						Thread.currentThread().interrupt();
					}
					finally {
						this.running.decrementAndGet();
					}
				});
				worker.setDaemon(true);
				worker.start();
			}
		}

		@Override
		public Start shutdownStart() {
			return Start.WITH_SHUTDOWN;
		}

		@Override
		public void stopAccepting(Context context) {
			context.handedBack(this.queued);
			this.release.countDown();
		}

		@Override
		public long inFlight() {
			return this.running.get();
		}

	}

	/**
	 * Stands for a server of its own that balancers route to: it must still accept when
	 * the delay ends.
	 */
	static class Server implements ShutdownParticipant {

		private final AtomicBoolean accepting = new AtomicBoolean(true);

		volatile boolean acceptingWhenDelayEnded;

		@Override
		public void stopAccepting(Context context) {
			this.acceptingWhenDelayEnded = this.accepting.getAndSet(false);
		}

	}

	/**
	 * Starts after the delay, has work in flight for a while and holds the web server's
	 * own shutdown for up to a bound; notes whether the server's shutdown had started
	 * when its work ended.
	 */
	static class Holder implements OptionalParticipant {

		private final long workMillis;

		private final Duration hold;

		private volatile long stoppedAt;

		volatile SmartLifecycle webServerShutdown;

		volatile Boolean serverRunningWhenEnded;

		Holder(long workMillis, Duration hold) {
			this.workMillis = workMillis;
			this.hold = hold;
		}

		@Override
		public boolean takesPart() {
			return true;
		}

		@Override
		public Duration holdsDrainStart() {
			return this.hold;
		}

		@Override
		public void stopAccepting(Context context) {
			this.stoppedAt = System.nanoTime();
		}

		@Override
		public long inFlight() {
			if (this.stoppedAt == 0) {
				// Asked before the shutdown (the meters): nothing in flight yet.
				return 0;
			}
			if (System.nanoTime() - this.stoppedAt < TimeUnit.MILLISECONDS.toNanos(this.workMillis)) {
				return 1;
			}
			if (this.serverRunningWhenEnded == null) {
				this.serverRunningWhenEnded = this.webServerShutdown.isRunning();
			}
			return 0;
		}

	}

	/**
	 * A WebSocket hand-off whose one session was still being set up by the application when
	 * the shutdown came, and becomes ready just after the hand-off has begun: it is handed
	 * off as it becomes ready, and closes at once, before the participant's own thread has
	 * started.
	 */
	static class ReadyAsTheHandOffBegins implements OptionalParticipant {

		private final OpenStreams streams = new OpenStreams(StreamHandOffListener.Kind.WEBSOCKET, "WebSockets");

		private final StreamHandOff handOff = new StreamHandOff(StreamHandOff.WEBSOCKETS, this.streams,
				Duration.ZERO);

		private final AtomicReference<OpenStreams.Stream> session = new AtomicReference<>();

		ReadyAsTheHandOffBegins() {
			this.session.set(this.streams.opening("/ws", null, (messages) -> {
				this.session.get().closed();
				return true;
			}));
		}

		@Override
		public Start shutdownStart() {
			return this.handOff.shutdownStart();
		}

		@Override
		public boolean takesPart() {
			boolean takesPart = this.handOff.takesPart();
			this.session.get().ready();
			return takesPart;
		}

		@Override
		public void stopAccepting(Context context) throws Exception {
			this.handOff.stopAccepting(context);
		}

		@Override
		public long inFlight() {
			return this.handOff.inFlight();
		}

	}

	/**
	 * Keeps three units in flight: one finishes once it is asked to stop, one only when
	 * cancelled, and one never.
	 */
	static class Stuck implements ShutdownParticipant {

		private final AtomicLong inFlight = new AtomicLong(3);

		volatile boolean cancelled;

		@Override
		public Start shutdownStart() {
			return Start.WITH_SHUTDOWN;
		}

		@Override
		public void stopAccepting(Context context) {
			this.inFlight.decrementAndGet();
		}

		@Override
		public long inFlight() {
			return this.inFlight.get();
		}

		@Override
		public void cancel() {
			this.cancelled = true;
			this.inFlight.decrementAndGet();
		}

	}

	@SpringBootConfiguration(proxyBeanMethods = false)
	@EnableAutoConfiguration
	static class ConsumerApplication {

		@Bean
		Consumer consumer() {
			return new Consumer();
		}

	}

	@SpringBootConfiguration(proxyBeanMethods = false)
	@EnableAutoConfiguration
	static class ServerApplication {

		@Bean
		Server server() {
			return new Server();
		}

	}

	@SpringBootConfiguration(proxyBeanMethods = false)
	@EnableAutoConfiguration
	static class HoldingApplication {

		@Bean
		Holder holder() {
			return new Holder(300, Duration.ofSeconds(5));
		}

		@Bean
		Holder shortHold() {
			return new Holder(600, Duration.ofMillis(100));
		}

	}

	@SpringBootConfiguration(proxyBeanMethods = false)
	@EnableAutoConfiguration
	static class ReadyAsTheHandOffBeginsApplication {

		@Bean
		ReadyAsTheHandOffBegins readyAsTheHandOffBegins() {
			return new ReadyAsTheHandOffBegins();
		}

	}

	@SpringBootConfiguration(proxyBeanMethods = false)
	@EnableAutoConfiguration
	static class StuckApplication {

		@Bean
		Stuck stuck() {
			return new Stuck();
		}

	}

	@SpringBootConfiguration(proxyBeanMethods = false)
	@EnableAutoConfiguration
	static class MisbehavingApplication {

		@Bean
		Consumer consumer() {
			return new Consumer();
		}

		@Bean
		ShutdownParticipant thrower() {
			return (context) -> {
				throw new IllegalStateException("broker connection already closed");
			};
		}

		@Bean
		ShutdownParticipant hanger() {
			return (context) -> {
				// Stuck in a call that ignores interrupts.
				while (true) {
					try {
						Thread.sleep(60_000);
					}
					catch (InterruptedException ex) {
						// ignored, as some client libraries do
					}
				}
			};
		}

		@OnShutdown(name = "after-participants")
		void cleanUp() {
		}

	}

}
