package dev.graceful.shutdown.cleanup;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import jakarta.annotation.PreDestroy;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.aop.support.AopUtils;
import org.springframework.boot.Banner;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.DependsOn;
import org.springframework.context.support.ApplicationObjectSupport;
import org.springframework.scheduling.annotation.Async;
import org.springframework.scheduling.annotation.EnableAsync;

import dev.graceful.shutdown.OnShutdown;
import dev.graceful.shutdown.ShutdownCleanups;
import dev.graceful.shutdown.ShutdownReport;
import dev.graceful.shutdown.ShutdownReport.Cleanup;
import dev.graceful.shutdown.ShutdownReport.Outcome;
import dev.graceful.shutdown.ShutdownReports;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;
import static org.assertj.core.api.Assertions.tuple;

/**
 * {@link OnShutdown @OnShutdown} methods and {@link ShutdownCleanups} registrations in
 * real application contexts: ordered, isolated, bounded, exactly once, and before Spring
 * destroys the beans they use.
 */
@ExtendWith(OutputCaptureExtension.class)
class OnShutdownCleanupTests {

	private @Nullable ConfigurableApplicationContext context;

	@AfterEach
	void closeContext() {
		if (this.context != null) {
			this.context.close();
		}
	}

	@Test
	void cleanupsRunInAscendingOrderAndEqualOrdersInReverseOrderOfBeanCreation() {
		this.context = run(OrderedConfiguration.class);
		Events events = this.context.getBean(Events.class);
		ShutdownReport report = ShutdownReports.close(this.context);
		assertThat(events.list).containsExactly("early", "third", "second", "first", "late");
		assertThat(report.cleanups()).extracting(Cleanup::name, Cleanup::order, Cleanup::outcome)
			.containsExactly(tuple("Early.cleanUp", -10, Outcome.COMPLETED),
					tuple("Third.cleanUp", 0, Outcome.COMPLETED), tuple("Second.cleanUp", 0, Outcome.COMPLETED),
					tuple("First.cleanUp", 0, Outcome.COMPLETED), tuple("cache.flush", 10, Outcome.COMPLETED));
		assertThat(report.phase("cleanup")).extracting(ShutdownReport.Phase::outcome).isEqualTo(Outcome.COMPLETED);
	}

	@Test
	void programmaticCleanupsFollowTheSameOrderingRulesAsAnnotatedOnes() {
		this.context = run(ProgrammaticConfiguration.class);
		Events events = this.context.getBean(Events.class);
		ShutdownReport report = ShutdownReports.close(this.context);
		assertThat(events.list).containsExactly("audit", "annotated", "cache", "connections", "metrics");
		assertThat(report.cleanups()).extracting(Cleanup::name)
			.containsExactly("audit", "Annotated.cleanUp", "cache", "connections", "metrics");
	}

	@Test
	void cleanupsThatThrowAreRecordedAsFailedAndDoNotStopLaterCleanups() {
		this.context = run(FailingConfiguration.class);
		Events events = this.context.getBean(Events.class);
		ShutdownReport report = ShutdownReports.close(this.context);
		assertThat(events.list).containsExactly("throws", "error", "overflow", "checked", "survivor");
		assertThat(report.cleanups()).extracting(Cleanup::name, Cleanup::outcome, Cleanup::error)
			.containsExactly(tuple("Throwing.cleanUp", Outcome.FAILED, "java.lang.IllegalStateException: boom"),
					tuple("Erroring.cleanUp", Outcome.FAILED, "java.lang.Error: fatal"),
					tuple("Overflowing.cleanUp", Outcome.FAILED, "java.lang.StackOverflowError"),
					tuple("Checked.cleanUp", Outcome.FAILED, "java.io.IOException: disk full"),
					tuple("Survivor.cleanUp", Outcome.COMPLETED, null));
		assertThat(report.phase("cleanup")).satisfies((phase) -> {
			assertThat(phase.outcome()).isEqualTo(Outcome.FAILED);
			assertThat(phase.detail()).isEqualTo("1 completed, 4 failed, 0 timed out");
		});
	}

	@Test
	void cleanupThatOutlivesItsTimeoutIsRecordedAsTimedOutAndTheNextStillRuns() {
		this.context = run(SlowConfiguration.class);
		Events events = this.context.getBean(Events.class);
		long startNanos = System.nanoTime();
		ShutdownReport report = ShutdownReports.close(this.context);
		long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
		assertThat(events.list).containsExactly("slow started", "next");
		assertThat(report.cleanups()).extracting(Cleanup::name, Cleanup::outcome)
			.containsExactly(tuple("Slow.flush", Outcome.TIMED_OUT), tuple("Next.cleanUp", Outcome.COMPLETED));
		// How the interrupted sleep ends depends on the scheduler of a loaded machine.
		assertThat(report.cleanups().get(0).error()).isIn(
				"did not finish within 300 ms; ended after interrupt",
				"did not finish within 300 ms; interrupted and abandoned");
		assertThat(report.cleanups().get(0).durationMs()).isGreaterThanOrEqualTo(300);
		assertThat(report.phase("cleanup")).satisfies((phase) -> {
			assertThat(phase.outcome()).isEqualTo(Outcome.TIMED_OUT);
			assertThat(phase.detail()).isEqualTo("1 completed, 0 failed, 1 timed out");
		});
		// The slow cleanup would sleep 10 s: the shutdown must not wait for it.
		assertThat(tookMillis).isLessThan(8_000);
	}

	@Test
	void closingTheContextTwiceRunsEachCleanupOnce() {
		this.context = run(CountingConfiguration.class);
		Counting counting = this.context.getBean(Counting.class);
		CleanupRegistry cleanups = this.context.getBean(CleanupRegistry.class);
		AtomicInteger programmatic = new AtomicInteger();
		cleanups.register("programmatic", programmatic::incrementAndGet);
		ShutdownReport report = ShutdownReports.close(this.context);
		this.context.close();
		assertThat(counting.runs).hasValue(1);
		assertThat(programmatic).hasValue(1);
		assertThat(report.cleanups()).extracting(Cleanup::name).containsExactly("programmatic", "Counting.cleanUp");
		assertThat(cleanups.claim()).isEmpty();
		assertThatIllegalStateException().isThrownBy(() -> cleanups.register("too-late", () -> {
		})).withMessageContaining("'too-late'");
	}

	@Test
	void cleanupsRunWhenAStoppedContextIsClosed() {
		this.context = run(CountingConfiguration.class);
		Counting counting = this.context.getBean(Counting.class);
		this.context.stop();
		ShutdownReport report = ShutdownReports.close(this.context);
		assertThat(counting.runs).hasValue(1);
		assertThat(report.complete()).isTrue();
	}

	@Test
	void cleanupsRunBeforeTheBeansTheyUseAreDestroyed() {
		this.context = run(PreDestroyConfiguration.class);
		Events events = this.context.getBean(Events.class);
		this.context.close();
		assertThat(events.list).containsExactly("cleanup: connection pool open", "connection pool destroyed");
	}

	@Test
	void cleanupOnAProxiedBeanRunsAndIsNamedAfterTheUserClass() {
		this.context = run(ProxiedConfiguration.class);
		assertThat(AopUtils.isAopProxy(this.context.getBean(AsyncWorker.class))).isTrue();
		Events events = this.context.getBean(Events.class);
		ShutdownReport report = ShutdownReports.close(this.context);
		assertThat(events.list).containsExactly("async worker flushed");
		assertThat(report.cleanups()).extracting(Cleanup::name, Cleanup::outcome)
			.containsExactly(tuple("AsyncWorker.flush", Outcome.COMPLETED));
	}

	@Test
	void cleanupsOfSubclassesOfSpringClassesRunForEveryBeanOfTheClass() {
		// Spring's own classes are not inspected; an application's subclass of one is, and
		// each of its beans registers its cleanup.
		this.context = run(SpringSubclassConfiguration.class);
		Events events = this.context.getBean(Events.class);
		ShutdownReport report = ShutdownReports.close(this.context);
		assertThat(events.list).containsExactlyInAnyOrder("first flushed", "second flushed");
		assertThat(report.cleanups()).extracting(Cleanup::name, Cleanup::outcome)
			.containsExactly(tuple("FlushingSupport.flush", Outcome.COMPLETED),
					tuple("FlushingSupport.flush", Outcome.COMPLETED));
	}

	@Test
	void cleanupsDeclaredOnInterfaceMethodsRunForTheImplementingBean() {
		// The annotation is on an interface only: on a method one bean implements, and on a
		// default method the other inherits. Neither bean's class has one.
		this.context = run(InterfaceConfiguration.class);
		Events events = this.context.getBean(Events.class);
		ShutdownReport report = ShutdownReports.close(this.context);
		assertThat(events.list).containsExactly("store flushed", "pool released");
		assertThat(report.cleanups()).extracting(Cleanup::name, Cleanup::order, Cleanup::outcome)
			.containsExactly(tuple("Store.flush", 0, Outcome.COMPLETED), tuple("Pool.release", 1, Outcome.COMPLETED));
	}

	@Test
	void cleanupThatIsAlsoTheDestroyMethodIsNamedInAWarning(CapturedOutput output) {
		// Spring closes an AutoCloseable bean, infers close() or shutdown() for a @Bean method,
		// and calls @PreDestroy methods: annotating one of those runs it twice.
		this.context = run(DestroyMethodConfiguration.class);
		Events events = this.context.getBean(Events.class);
		ShutdownReport report = ShutdownReports.close(this.context);
		assertThat(report.cleanups()).extracting(Cleanup::name)
			.containsExactlyInAnyOrder("Connection.close", "Scheduler.shutdown", "Cache.evict", "Journal.flush");
		assertThat(events.list).containsExactlyInAnyOrder("connection closed", "connection closed",
				"scheduler shut down", "scheduler shut down", "cache evicted", "cache evicted", "journal flushed");
		assertThat(output).contains("@OnShutdown method Connection.close() of bean 'connection' is also the bean's"
				+ " destroy method, so it runs twice")
			.contains("@OnShutdown method Scheduler.shutdown() of bean 'scheduler'")
			.contains("@OnShutdown method Cache.evict() of bean 'cache'")
			.doesNotContain("Journal.flush() of bean");
	}

	@Test
	void cleanupOfABeanWhoseDestroyMethodIsTurnedOffRunsOnceWithoutAWarning(CapturedOutput output) {
		// @Bean(destroyMethod = "") keeps Spring from closing the AutoCloseable: the
		// cleanup step is the only caller, and there is nothing to warn about.
		this.context = run(DestroyMethodTurnedOffConfiguration.class);
		Events events = this.context.getBean(Events.class);
		ShutdownReport report = ShutdownReports.close(this.context);
		assertThat(report.cleanups()).extracting(Cleanup::name).containsExactly("Connection.close");
		assertThat(events.list).containsExactly("connection closed");
		assertThat(output).doesNotContain("of bean 'connection'");
	}

	@Test
	void withoutTheStarterOnShutdownMethodsDoNotRun() {
		this.context = run(CountingConfiguration.class, "graceful.shutdown.enabled=false");
		Counting counting = this.context.getBean(Counting.class);
		this.context.close();
		assertThat(counting.runs).hasValue(0);
	}

	private static ConfigurableApplicationContext run(Class<?> configuration, String... properties) {
		return new SpringApplicationBuilder(configuration).web(WebApplicationType.NONE)
			.bannerMode(Banner.Mode.OFF)
			.logStartupInfo(false)
			.properties(properties)
			.run();
	}

	static class Events {

		final List<String> list = new CopyOnWriteArrayList<>();

		void add(String event) {
			this.list.add(event);
		}

	}

	abstract static class Recording {

		private final Events events;

		private final String event;

		Recording(Events events, String event) {
			this.events = events;
			this.event = event;
		}

		@OnShutdown
		void cleanUp() {
			this.events.add(this.event);
		}

	}

	@Configuration(proxyBeanMethods = false)
	@EnableAutoConfiguration
	static class OrderedConfiguration {

		@Bean
		Events events() {
			return new Events();
		}

		@Bean
		Late late(Events events) {
			return new Late(events);
		}

		@Bean
		First first(Events events) {
			return new First(events);
		}

		@Bean
		@DependsOn("first")
		Second second(Events events) {
			return new Second(events);
		}

		@Bean
		@DependsOn("second")
		Third third(Events events) {
			return new Third(events);
		}

		@Bean
		Early early(Events events) {
			return new Early(events);
		}

	}

	static class First extends Recording {

		First(Events events) {
			super(events, "first");
		}

	}

	static class Second extends Recording {

		Second(Events events) {
			super(events, "second");
		}

	}

	static class Third extends Recording {

		Third(Events events) {
			super(events, "third");
		}

	}

	static class Early {

		private final Events events;

		Early(Events events) {
			this.events = events;
		}

		@OnShutdown(order = -10)
		void cleanUp() {
			this.events.add("early");
		}

	}

	static class Late {

		private final Events events;

		Late(Events events) {
			this.events = events;
		}

		@OnShutdown(order = 10, name = "cache.flush")
		void flush() {
			this.events.add("late");
		}

	}

	@Configuration(proxyBeanMethods = false)
	@EnableAutoConfiguration
	static class ProgrammaticConfiguration {

		@Bean
		Events events() {
			return new Events();
		}

		@Bean
		Programmatic programmatic(ShutdownCleanups cleanups, Events events) {
			return new Programmatic(cleanups, events);
		}

		@Bean
		@DependsOn("programmatic")
		Annotated annotated(Events events) {
			return new Annotated(events);
		}

	}

	static class Programmatic {

		Programmatic(ShutdownCleanups cleanups, Events events) {
			cleanups.register("connections", () -> events.add("connections"));
			cleanups.register("cache", () -> events.add("cache"));
			cleanups.register("metrics", 5, null, () -> events.add("metrics"));
			cleanups.register("audit", -1, Duration.ofSeconds(1), () -> events.add("audit"));
		}

	}

	static class Annotated extends Recording {

		Annotated(Events events) {
			super(events, "annotated");
		}

	}

	@Configuration(proxyBeanMethods = false)
	@EnableAutoConfiguration
	static class FailingConfiguration {

		@Bean
		Events events() {
			return new Events();
		}

		@Bean
		Throwing throwing(Events events) {
			return new Throwing(events);
		}

		@Bean
		Erroring erroring(Events events) {
			return new Erroring(events);
		}

		@Bean
		Overflowing overflowing(Events events) {
			return new Overflowing(events);
		}

		@Bean
		Checked checked(Events events) {
			return new Checked(events);
		}

		@Bean
		Survivor survivor(Events events) {
			return new Survivor(events);
		}

	}

	static class Throwing {

		private final Events events;

		Throwing(Events events) {
			this.events = events;
		}

		@OnShutdown(order = 1)
		void cleanUp() {
			this.events.add("throws");
			throw new IllegalStateException("boom");
		}

	}

	static class Erroring {

		private final Events events;

		Erroring(Events events) {
			this.events = events;
		}

		@OnShutdown(order = 2)
		void cleanUp() {
			this.events.add("error");
			throw new Error("fatal");
		}

	}

	static class Overflowing {

		private final Events events;

		Overflowing(Events events) {
			this.events = events;
		}

		@OnShutdown(order = 3)
		void cleanUp() {
			this.events.add("overflow");
			recurse(0);
		}

		private static int recurse(int depth) {
			return recurse(depth + 1) + 1;
		}

	}

	static class Checked {

		private final Events events;

		Checked(Events events) {
			this.events = events;
		}

		@OnShutdown(order = 4)
		void cleanUp() throws IOException {
			this.events.add("checked");
			throw new IOException("disk full");
		}

	}

	static class Survivor {

		private final Events events;

		Survivor(Events events) {
			this.events = events;
		}

		@OnShutdown(order = 5)
		void cleanUp() {
			this.events.add("survivor");
		}

	}

	@Configuration(proxyBeanMethods = false)
	@EnableAutoConfiguration
	static class SlowConfiguration {

		@Bean
		Events events() {
			return new Events();
		}

		@Bean
		Slow slow(Events events) {
			return new Slow(events);
		}

		@Bean
		Next next(Events events) {
			return new Next(events);
		}

	}

	static class Slow {

		private final Events events;

		Slow(Events events) {
			this.events = events;
		}

		@OnShutdown(order = 1, timeout = "300ms")
		void flush() {
			this.events.add("slow started");
			try {
				Thread.sleep(10_000);
				this.events.add("slow finished");
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
		}

	}

	static class Next {

		private final Events events;

		Next(Events events) {
			this.events = events;
		}

		@OnShutdown(order = 2)
		void cleanUp() {
			this.events.add("next");
		}

	}

	@Configuration(proxyBeanMethods = false)
	@EnableAutoConfiguration
	static class CountingConfiguration {

		@Bean
		Counting counting() {
			return new Counting();
		}

	}

	static class Counting {

		final AtomicInteger runs = new AtomicInteger();

		@OnShutdown
		void cleanUp() {
			this.runs.incrementAndGet();
		}

	}

	@Configuration(proxyBeanMethods = false)
	@EnableAutoConfiguration
	static class PreDestroyConfiguration {

		@Bean
		Events events() {
			return new Events();
		}

		@Bean
		ConnectionPool connectionPool(Events events) {
			return new ConnectionPool(events);
		}

		@Bean
		PoolUser poolUser(ConnectionPool pool, Events events) {
			return new PoolUser(pool, events);
		}

	}

	static class ConnectionPool {

		private final Events events;

		private volatile boolean open = true;

		ConnectionPool(Events events) {
			this.events = events;
		}

		boolean isOpen() {
			return this.open;
		}

		@PreDestroy
		void destroy() {
			this.open = false;
			this.events.add("connection pool destroyed");
		}

	}

	static class PoolUser {

		private final ConnectionPool pool;

		private final Events events;

		PoolUser(ConnectionPool pool, Events events) {
			this.pool = pool;
			this.events = events;
		}

		@OnShutdown
		void cleanUp() {
			this.events.add("cleanup: connection pool " + (this.pool.isOpen() ? "open" : "closed"));
		}

	}

	@Configuration(proxyBeanMethods = false)
	@EnableAutoConfiguration
	@EnableAsync
	static class ProxiedConfiguration {

		@Bean
		Events events() {
			return new Events();
		}

		@Bean
		AsyncWorker asyncWorker(Events events) {
			return new AsyncWorker(events);
		}

	}

	@Configuration(proxyBeanMethods = false)
	@EnableAutoConfiguration
	static class SpringSubclassConfiguration {

		@Bean
		Events events() {
			return new Events();
		}

		@Bean
		FlushingSupport firstFlushing(Events events) {
			return new FlushingSupport(events, "first");
		}

		@Bean
		FlushingSupport secondFlushing(Events events) {
			return new FlushingSupport(events, "second");
		}

	}

	static class FlushingSupport extends ApplicationObjectSupport {

		private final Events events;

		private final String name;

		FlushingSupport(Events events, String name) {
			this.events = events;
			this.name = name;
		}

		@OnShutdown
		void flush() {
			this.events.add(this.name + " flushed");
		}

		@Override
		protected boolean isContextRequired() {
			return false;
		}

	}

	@Configuration(proxyBeanMethods = false)
	@EnableAutoConfiguration
	static class InterfaceConfiguration {

		@Bean
		Events events() {
			return new Events();
		}

		@Bean
		Store store(Events events) {
			return new Store(events);
		}

		@Bean
		Pool pool(Events events) {
			return new Pool(events);
		}

	}

	interface Flushable {

		@OnShutdown
		void flush();

	}

	interface Releasable {

		Events events();

		@OnShutdown(order = 1)
		default void release() {
			events().add("pool released");
		}

	}

	static class Store implements Flushable {

		private final Events events;

		Store(Events events) {
			this.events = events;
		}

		@Override
		public void flush() {
			this.events.add("store flushed");
		}

	}

	static class Pool implements Releasable {

		private final Events events;

		Pool(Events events) {
			this.events = events;
		}

		@Override
		public Events events() {
			return this.events;
		}

	}

	@Configuration(proxyBeanMethods = false)
	@EnableAutoConfiguration
	static class DestroyMethodConfiguration {

		@Bean
		Events events() {
			return new Events();
		}

		@Bean
		Connection connection(Events events) {
			return new Connection(events);
		}

		@Bean
		Scheduler scheduler(Events events) {
			return new Scheduler(events);
		}

		@Bean
		Cache cache(Events events) {
			return new Cache(events);
		}

		@Bean
		Journal journal(Events events) {
			return new Journal(events);
		}

	}

	@Configuration(proxyBeanMethods = false)
	@EnableAutoConfiguration
	static class DestroyMethodTurnedOffConfiguration {

		@Bean
		Events events() {
			return new Events();
		}

		@Bean(destroyMethod = "")
		Connection connection(Events events) {
			return new Connection(events);
		}

	}

	static class Connection implements AutoCloseable {

		private final Events events;

		Connection(Events events) {
			this.events = events;
		}

		@Override
		@OnShutdown
		public void close() {
			this.events.add("connection closed");
		}

	}

	static class Scheduler {

		private final Events events;

		Scheduler(Events events) {
			this.events = events;
		}

		@OnShutdown
		public void shutdown() {
			this.events.add("scheduler shut down");
		}

	}

	static class Cache {

		private final Events events;

		Cache(Events events) {
			this.events = events;
		}

		@OnShutdown
		@PreDestroy
		void evict() {
			this.events.add("cache evicted");
		}

	}

	static class Journal {

		private final Events events;

		Journal(Events events) {
			this.events = events;
		}

		@OnShutdown
		void flush() {
			this.events.add("journal flushed");
		}

	}

	static class AsyncWorker {

		private final Events events;

		AsyncWorker(Events events) {
			this.events = events;
		}

		@Async
		public void work() {
		}

		@OnShutdown
		void flush() {
			this.events.add("async worker flushed");
		}

	}

}
