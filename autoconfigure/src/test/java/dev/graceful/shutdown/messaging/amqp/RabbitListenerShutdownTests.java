package dev.graceful.shutdown.messaging.amqp;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import com.rabbitmq.client.Channel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import org.springframework.amqp.core.Queue;
import org.springframework.amqp.rabbit.annotation.RabbitListener;
import org.springframework.amqp.rabbit.connection.CachingConnectionFactory;
import org.springframework.amqp.rabbit.core.RabbitAdmin;
import org.springframework.amqp.rabbit.core.RabbitTemplate;
import org.springframework.amqp.rabbit.listener.DirectMessageListenerContainer;
import org.springframework.amqp.rabbit.listener.RabbitListenerEndpointRegistry;
import org.springframework.amqp.rabbit.listener.SimpleMessageListenerContainer;
import org.springframework.amqp.support.AmqpHeaders;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.messaging.handler.annotation.Header;

import dev.graceful.shutdown.ShutdownReport;
import dev.graceful.shutdown.ShutdownReport.Counts;
import dev.graceful.shutdown.ShutdownReport.Outcome;
import dev.graceful.shutdown.ShutdownReport.Phase;
import dev.graceful.shutdown.ShutdownReports;
import dev.graceful.shutdown.testsupport.ListenerApplications;
import dev.graceful.shutdown.testsupport.RabbitBroker;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * RabbitMQ listener containers against a real broker (Debian's rabbitmq-server, a node of
 * the test's own), manual acks: with the starter a container stops when the shutdown
 * starts, beside the delay, finishes the message in its listener and requeues the
 * prefetched ones, which the next consumer gets once each, redelivered, and its report
 * counts the message in the listener and the ones handed back (simple and direct
 * containers); a message that takes longer than the container's own shutdown timeout
 * (5 s) finishes within the budget, where Spring Boot alone (the control) interrupts it
 * and closes its channel.
 */
@Timeout(240)
@EnabledIfSystemProperty(named = "graceful.tests.heavy", matches = "true")
class RabbitListenerShutdownTests {

	private static final int MESSAGES = 30;

	/** The message the first consumer holds in its listener until the shutdown starts. */
	private static final int HELD = 5;

	private static RabbitBroker broker;

	private final ListenerApplications applications = new ListenerApplications();

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
	void closeContexts() {
		this.applications.close();
	}

	@Test
	void listenerStopsWithTheShutdownFinishesItsMessageAndRequeuesThePrefetchedOnes() throws Exception {
		Handover handover = handover("jobs-graceful", SimpleMessageListenerContainer.class);
		assertThat(handover.listener.outcome()).isEqualTo(Outcome.COMPLETED);
		assertThat(handover.listener.startOffsetMs() + handover.listener.durationMs())
			.isLessThan(handover.delay.startOffsetMs() + handover.delay.durationMs());
	}

	@Test
	void directContainerStopsWithTheShutdownFinishesItsMessageAndRequeuesThePrefetchedOnes() throws Exception {
		Handover handover = handover("jobs-direct", DirectMessageListenerContainer.class,
				"spring.rabbitmq.listener.type=direct");
		assertThat(handover.listener.outcome()).isEqualTo(Outcome.COMPLETED);
	}

	/**
	 * Publish the messages, let a first consumer (prefetch 250: it is delivered all of
	 * them at once) process five and hold the sixth in its listener until the shutdown
	 * has started, shut it down, and let a second consumer take the rest. The first one's
	 * report must count the message in its listener and hand back exactly what the second
	 * one gets, each message once, all redelivered.
	 */
	private Handover handover(String queue, Class<?> containerType, String... properties) throws Exception {
		publish(queue);
		List<String> first = new ArrayList<>(List.of(properties));
		first.add("graceful.shutdown.delay=3s");
		first.add("test.hold=" + HELD);
		ConfigurableApplicationContext context = run(queue, first.toArray(String[]::new));
		assertThat(context.getBean(RabbitListenerEndpointRegistry.class).getListenerContainer("jobs"))
			.isInstanceOf(containerType);
		Jobs jobs = context.getBean(Jobs.class);
		jobs.awaitStarted(HELD + 1);

		ShutdownReport report = ShutdownReports.close(context);

		Phase listener = report.phase("rabbit-listener-jobs");
		int processed = jobs.processed.size();
		List<String> second = new ArrayList<>(List.of(properties));
		second.add("graceful.shutdown.delay=0");
		ConfigurableApplicationContext nextContext = run(queue, second.toArray(String[]::new));
		Jobs next = nextContext.getBean(Jobs.class);
		next.awaitProcessed(MESSAGES - processed);
		Thread.sleep(500);
		List<String> all = new ArrayList<>(jobs.processed);
		all.addAll(next.processed);
		System.out.println("RabbitMQ " + queue + " with the starter: " + processed + " of " + MESSAGES
				+ " processed before exit, " + jobs.startedAfterClose + " started after the shutdown started, step "
				+ listener.durationMs() + " ms, counts " + listener.counts() + "; the next consumer: "
				+ next.processed.size() + " processed, " + next.redelivered + " redelivered; "
				+ (all.size() - new HashSet<>(all).size()) + " duplicates");
		assertThat(jobs.startedAfterClose).hasValue(0);
		assertThat(processed).isEqualTo(HELD + 1);
		assertThat(all).hasSize(MESSAGES);
		assertThat(new HashSet<>(all)).hasSize(MESSAGES);
		// Every message the first consumer had prefetched and not started came back to the
		// queue, and its report says how many.
		assertThat(next.redelivered).hasValue(MESSAGES - processed);
		assertThat(listener.counts()).isEqualTo(new Counts(1, 1, 0, 0, MESSAGES - HELD - 1));
		return new Handover(listener, report.phase("delay"));
	}

	record Handover(Phase listener, Phase delay) {

	}

	@Test
	void messageLongerThanTheContainersShutdownTimeoutFinishesWithTheStarterAndIsCutOffWithoutIt() throws Exception {
		Slow graceful = slowMessageAtShutdown("slow-graceful", "graceful.shutdown.enabled=true");
		Slow plain = slowMessageAtShutdown("slow-plain", "graceful.shutdown.enabled=false");
		System.out.println("RabbitMQ, a 6 s message in the listener at shutdown: with the starter " + graceful
				+ "; Spring Boot alone " + plain);
		assertThat(graceful.report.phase("rabbit-listener-jobs").outcome()).isEqualTo(Outcome.COMPLETED);
		assertThat(graceful.processed).isEqualTo(1);
		assertThat(graceful.interrupted).isZero();
		// Spring AMQP's own 5 s shutdown timeout interrupts the listener and closes its channel.
		assertThat(plain.processed).isZero();
		assertThat(plain.interrupted).isEqualTo(1);
	}

	private Slow slowMessageAtShutdown(String queue, String enabled) throws Exception {
		publish(queue);
		ConfigurableApplicationContext context = run(queue, enabled, "test.processing=6s");
		Jobs jobs = context.getBean(Jobs.class);
		long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
		while (jobs.started.get() < 1 && System.nanoTime() < deadline) {
			Thread.sleep(20);
		}
		assertThat(jobs.started).hasValue(1);
		long start = System.nanoTime();
		ShutdownReport report = null;
		if (context.containsBean("gracefulShutdownProgress")) {
			report = ShutdownReports.close(context);
		}
		else {
			context.close();
		}
		return new Slow(jobs.processed.size(), jobs.interrupted.get(),
				TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start), report);
	}

	record Slow(int processed, int interrupted, long closeMs, ShutdownReport report) {

		@Override
		public String toString() {
			return this.processed + " processed, " + this.interrupted + " interrupted, close " + this.closeMs + " ms";
		}

	}

	private ConfigurableApplicationContext run(String queue, String... properties) {
		return this.applications.run(RabbitApplication.class, List.of("spring.rabbitmq.host=127.0.0.1",
				"spring.rabbitmq.port=" + broker.port(), "test.queue=" + queue), properties);
	}

	private static void publish(String queue) {
		CachingConnectionFactory connectionFactory = new CachingConnectionFactory("127.0.0.1", broker.port());
		try {
			new RabbitAdmin(connectionFactory).declareQueue(new Queue(queue));
			RabbitTemplate template = new RabbitTemplate(connectionFactory);
			for (int i = 0; i < MESSAGES; i++) {
				template.convertAndSend(queue, Integer.toString(i));
			}
		}
		finally {
			connectionFactory.destroy();
		}
	}

	@SpringBootConfiguration(proxyBeanMethods = false)
	@EnableAutoConfiguration
	static class RabbitApplication {

		@Bean
		Jobs jobs(@Value("${test.processing:100ms}") Duration processing, @Value("${test.hold:}") String hold) {
			return new Jobs(processing, hold);
		}

	}

	static class Jobs extends ListenerApplications.Jobs {

		final AtomicInteger redelivered = new AtomicInteger();

		final AtomicInteger started = new AtomicInteger();

		final AtomicInteger interrupted = new AtomicInteger();

		private final Duration processing;

		private final String hold;

		Jobs(Duration processing, String hold) {
			this.processing = processing;
			this.hold = hold;
		}

		void awaitStarted(int count) throws InterruptedException {
			long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
			while (this.started.get() < count && System.nanoTime() < deadline) {
				Thread.sleep(20);
			}
			assertThat(this.started).hasValue(count);
		}

		@RabbitListener(id = "jobs", queues = "${test.queue}", ackMode = "MANUAL")
		void on(String job, Channel channel, @Header(AmqpHeaders.DELIVERY_TAG) long tag,
				@Header(AmqpHeaders.REDELIVERED) boolean redelivered) throws InterruptedException, IOException {
			starting();
			this.started.incrementAndGet();
			try {
				if (job.equals(this.hold)) {
					// In the listener when the shutdown starts, and for a moment after.
					long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
					while (!isClosing() && System.nanoTime() < deadline) {
						Thread.sleep(10);
					}
					Thread.sleep(300);
				}
				Thread.sleep(this.processing.toMillis());
			}
			catch (InterruptedException ex) {
				this.interrupted.incrementAndGet();
				throw ex;
			}
			this.processed.add(job);
			if (redelivered) {
				this.redelivered.incrementAndGet();
			}
			channel.basicAck(tag, false);
		}

	}

}
