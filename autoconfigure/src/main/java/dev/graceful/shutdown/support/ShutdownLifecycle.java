package dev.graceful.shutdown.support;

import org.springframework.context.SmartLifecycle;

/**
 * Base of the lifecycle beans that make up the shutdown steps: started with the
 * application, stopped once in their phase (Spring stops higher phases first, one phase
 * at a time), never paused.
 */
public abstract class ShutdownLifecycle implements SmartLifecycle {

	private final int phase;

	private volatile boolean running;

	protected ShutdownLifecycle(int phase) {
		this.phase = phase;
	}

	@Override
	public final void start() {
		onStart();
		this.running = true;
	}

	/**
	 * Called when the application starts.
	 */
	protected void onStart() {
	}

	@Override
	public final void stop() {
		this.running = false;
		onStop();
	}

	/**
	 * Called in this lifecycle's phase when the application stops or closes.
	 */
	protected abstract void onStop();

	@Override
	public final boolean isRunning() {
		return this.running;
	}

	@Override
	public final int getPhase() {
		return this.phase;
	}

	@Override
	public final boolean isPauseable() {
		return false;
	}

}
