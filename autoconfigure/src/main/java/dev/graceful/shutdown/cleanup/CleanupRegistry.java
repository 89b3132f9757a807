package dev.graceful.shutdown.cleanup;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;

import org.jspecify.annotations.Nullable;

import dev.graceful.shutdown.OnShutdown;
import dev.graceful.shutdown.ShutdownCleanups;

/**
 * The cleanups of the application: {@link OnShutdown @OnShutdown} methods and those
 * registered from code, in the order they will run, claimed once by {@link CleanupRunner}.
 */
public final class CleanupRegistry implements ShutdownCleanups {

	private final Duration defaultTimeout;

	private final List<Registration> registrations = new ArrayList<>();

	private final AtomicBoolean ran = new AtomicBoolean();

	public CleanupRegistry(Duration defaultTimeout) {
		this.defaultTimeout = defaultTimeout;
	}

	@Override
	public synchronized void register(String name, int order, @Nullable Duration timeout, Action action) {
		Objects.requireNonNull(name, "name must not be null");
		Objects.requireNonNull(action, "action must not be null");
		if (timeout != null && (timeout.isNegative() || timeout.isZero())) {
			throw new IllegalArgumentException("Timeout of cleanup '" + name + "' must be positive, was " + timeout);
		}
		if (this.ran.get()) {
			throw new IllegalStateException("Cleanup '" + name + "' registered after the cleanups ran");
		}
		Duration effective = (timeout != null) ? timeout : this.defaultTimeout;
		this.registrations.add(new Registration(name, order, effective, action, this.registrations.size()));
	}

	/**
	 * Return the cleanups in the order they will run.
	 * @return the planned cleanups
	 */
	public synchronized List<Registration> planned() {
		List<Registration> planned = new ArrayList<>(this.registrations);
		if (planned.size() > 1) {
			// Only then: the plan is read at startup, and the comparator's method references
			// would cost an application without cleanups two generated classes and this type.
			planned.sort(Comparator.comparingInt(Registration::order)
				.thenComparing(Comparator.comparingInt(Registration::sequence).reversed()));
		}
		return List.copyOf(planned);
	}

	/**
	 * Claim the cleanups for running: the first call returns them in run order, every
	 * later call an empty list, so that no cleanup ever runs twice.
	 * @return the cleanups to run
	 */
	public List<Registration> claim() {
		return this.ran.compareAndSet(false, true) ? planned() : List.of();
	}

	/**
	 * Return the timeout of cleanups that do not set their own.
	 * @return the default timeout
	 */
	public Duration defaultTimeout() {
		return this.defaultTimeout;
	}

	/**
	 * A registered cleanup.
	 *
	 * @param name the name in logs and the report
	 * @param order the order
	 * @param timeout how long it may run
	 * @param action what it does
	 * @param sequence its position in registration order
	 */
	public record Registration(String name, int order, Duration timeout, Action action, int sequence) {
	}

}
