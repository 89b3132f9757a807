package dev.graceful.shutdown.discovery;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import org.springframework.aop.scope.ScopedProxyUtils;
import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.cloud.client.serviceregistry.AbstractAutoServiceRegistration;
import org.springframework.cloud.client.serviceregistry.Registration;
import org.springframework.cloud.client.serviceregistry.ServiceRegistry;

import dev.graceful.shutdown.ShutdownReport.Outcome;
import dev.graceful.shutdown.timeline.ShutdownRecorder;
import dev.graceful.shutdown.timeline.ShutdownRecording;

/**
 * Takes the application out of service discovery the moment the shutdown starts, right
 * after readiness goes down and before the lame-duck delay, so that the delay is spent
 * while callers' discovery caches catch up and the instance still answers what they
 * send. Spring Cloud's {@link AbstractAutoServiceRegistration} (Consul, ZooKeeper and
 * registries built on it) would deregister only when its bean is destroyed, after the
 * delay and the HTTP drain; its {@code stop()} is idempotent, so calling it early leaves
 * nothing for the destruction to do; one that is not running is left out. Where there is
 * no such bean (Eureka's registration has a lifecycle of its own), each
 * {@link Registration} bean is deregistered from the application's only
 * {@link ServiceRegistry} directly.
 * <p>
 * Recorded as the step {@value #STEP}. The registry is called on a thread of its own and
 * waited for until the step's timeout at most, capped by the budget: a registry that
 * cannot be reached is reported and holds the shutdown no longer.
 */
public final class DiscoveryDeregistration implements SmartInitializingSingleton {

	/** Name of the step in the report. */
	public static final String STEP = "discovery";

	private static final Log logger = LogFactory.getLog(DiscoveryDeregistration.class);

	private final ShutdownRecorder progress;

	private final ListableBeanFactory beanFactory;

	private final Duration timeout;

	private volatile List<Deregistration> deregistrations = List.of();

	/**
	 * Create the step for the registrations of a bean factory.
	 * @param progress the record of the shutdown
	 * @param beanFactory where the registrations are
	 * @param timeout how long the registry may take to answer
	 */
	public DiscoveryDeregistration(ShutdownRecorder progress, ListableBeanFactory beanFactory, Duration timeout) {
		this.progress = progress;
		this.beanFactory = beanFactory;
		this.timeout = timeout;
		progress.onBegin(this::deregister);
	}

	@Override
	public void afterSingletonsInstantiated() {
		List<Deregistration> found = new ArrayList<>();
		Map<String, AbstractAutoServiceRegistration> auto = this.beanFactory
			.getBeansOfType(AbstractAutoServiceRegistration.class, false, true);
		auto.forEach((name, registration) -> found.add(new Deregistration(name, registration.getClass().getName(),
				registration::isRunning, registration::stop)));
		if (auto.isEmpty()) {
			// No auto registration to stop (a registry with its own lifecycle, or
			// registrations made by the application): deregister each from the registry.
			Map<String, ServiceRegistry> registries = this.beanFactory.getBeansOfType(ServiceRegistry.class, false,
					true);
			if (registries.size() == 1) {
				ServiceRegistry<Registration> registry = registryOf(registries.values().iterator().next());
				// Registrations may live in a refresh scope (Eureka's): not singletons.
				this.beanFactory.getBeansOfType(Registration.class, true, true).forEach((name, registration) -> {
					if (!ScopedProxyUtils.isScopedTarget(name)) {
						found.add(new Deregistration(name, registration.getClass().getName(), () -> true,
								() -> registry.deregister(registration)));
					}
				});
			}
		}
		this.deregistrations = List.copyOf(found);
	}

	@SuppressWarnings("unchecked")
	private static ServiceRegistry<Registration> registryOf(ServiceRegistry<?> registry) {
		return (ServiceRegistry<Registration>) registry;
	}

	/**
	 * Return the names of the registration beans the shutdown will deregister.
	 * @return the bean names, empty before every singleton exists
	 */
	public List<String> registrations() {
		return this.deregistrations.stream().map(Deregistration::name).toList();
	}

	private void deregister() {
		// An auto registration that never registered (registration turned off) has
		// nothing to take back.
		List<Deregistration> deregistrations = this.deregistrations.stream()
			.filter((deregistration) -> deregistration.registered().getAsBoolean())
			.toList();
		if (deregistrations.isEmpty()) {
			return;
		}
		long start = this.progress.stepStarted(STEP);
		Duration allowed = this.progress.budget().cap(this.timeout, Duration.ZERO);
		long deadline = System.nanoTime() + allowed.toNanos();
		Map<String, CompletableFuture<Void>> calls = new LinkedHashMap<>();
		for (Deregistration deregistration : deregistrations) {
			CompletableFuture<Void> call = new CompletableFuture<>();
			Thread thread = new Thread(() -> {
				try {
					deregistration.action().run();
					call.complete(null);
				}
				catch (Throwable ex) {
					call.completeExceptionally(ex);
				}
			}, "graceful-shutdown-discovery-" + deregistration.name());
			// A registry that never answers must not keep the JVM alive.
			thread.setDaemon(true);
			thread.start();
			calls.put(deregistration.name(), call);
		}
		List<String> left = new ArrayList<>();
		List<String> failed = new ArrayList<>();
		List<String> timedOut = new ArrayList<>();
		calls.forEach((name, call) -> {
			@Nullable String failure = await(call, deadline);
			if (failure == null) {
				left.add(name);
			}
			else if (failure.isEmpty()) {
				timedOut.add(name);
			}
			else {
				failed.add(name + " (" + failure + ")");
			}
		});
		Outcome outcome = !failed.isEmpty() ? Outcome.FAILED
				: (!timedOut.isEmpty() ? Outcome.TIMED_OUT : Outcome.COMPLETED);
		String detail = "left discovery: " + describe(left)
				+ (failed.isEmpty() ? "" : "; failed: " + String.join(", ", failed))
				+ (timedOut.isEmpty() ? "" : "; no answer within " + allowed.toMillis() + " ms: " + describe(timedOut));
		ShutdownRecording.stepEnded(this.progress, STEP, start, outcome, detail);
		long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
		String line = "Graceful shutdown: " + detail + " (" + tookMs + " ms)";
		if (outcome == Outcome.COMPLETED) {
			logger.info(line);
		}
		else {
			logger.warn(line);
		}
	}

	private static String describe(List<String> names) {
		return names.isEmpty() ? "none" : String.join(", ", names);
	}

	/**
	 * Wait for a call until the deadline.
	 * @return {@code null} if it completed, empty if it did not answer in time, or what
	 * it failed with
	 */
	private static @Nullable String await(CompletableFuture<Void> call, long deadline) {
		try {
			call.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
			return null;
		}
		catch (TimeoutException ex) {
			return "";
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			return "interrupted";
		}
		catch (ExecutionException ex) {
			Throwable cause = (ex.getCause() != null) ? ex.getCause() : ex;
			return cause.getClass().getSimpleName() + ": " + cause.getMessage();
		}
	}

	/**
	 * Return the class names of the registrations the shutdown will deregister.
	 * @return the class names, empty before every singleton exists
	 */
	public List<String> registrationTypes() {
		return this.deregistrations.stream().map(Deregistration::type).toList();
	}

	private record Deregistration(String name, String type, BooleanSupplier registered, Runnable action) {
	}

}
