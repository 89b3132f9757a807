package dev.graceful.shutdown.messaging;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

import org.springframework.context.SmartLifecycle;

import dev.graceful.shutdown.ShutdownParticipant;

/**
 * One message listener container as a shutdown participant: stopped when the shutdown
 * starts, without waiting, once; its shutdown waits for the container's stop callback.
 */
public abstract class ListenerContainerParticipant implements ShutdownParticipant {

	private final SmartLifecycle container;

	private final AtomicBoolean stopRequested = new AtomicBoolean();

	private final CompletableFuture<Void> stopped = new CompletableFuture<>();

	/**
	 * Create the participant for a container.
	 * @param container the listener container, stopped through its asynchronous stop
	 */
	protected ListenerContainerParticipant(SmartLifecycle container) {
		this.container = container;
	}

	@Override
	public Start shutdownStart() {
		return Start.WITH_SHUTDOWN;
	}

	/**
	 * Stop the container without waiting, once: the container waits for its consumers on
	 * a thread of its own and calls back when they have stopped.
	 */
	protected final void requestStop() {
		if (this.stopRequested.compareAndSet(false, true)) {
			try {
				beforeStop();
				this.container.stop(() -> this.stopped.complete(null));
			}
			catch (RuntimeException | Error ex) {
				// Asked again by stopAndAwait, which then reports the failure.
				this.stopRequested.set(false);
				throw ex;
			}
		}
	}

	/**
	 * Called once, just before the container is asked to stop.
	 */
	protected void beforeStop() {
	}

	/**
	 * Stop the container, if not yet asked to, and wait for it until the deadline.
	 * @param context the participant's shutdown context, whose deadline bounds the wait
	 * @throws InterruptedException if the wait is interrupted
	 * @throws ExecutionException never: the stop callback completes normally
	 * @throws TimeoutException if the consumers are still running at the deadline
	 */
	protected final void stopAndAwait(Context context)
			throws InterruptedException, ExecutionException, TimeoutException {
		requestStop();
		this.stopped.get(context.remaining().toNanos(), TimeUnit.NANOSECONDS);
	}

}
