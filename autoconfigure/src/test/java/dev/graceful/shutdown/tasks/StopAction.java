package dev.graceful.shutdown.tasks;

import org.springframework.context.SmartLifecycle;

import dev.graceful.shutdown.timeline.ShutdownTimeline;

/**
 * A lifecycle bean stopped just above the tasks step, at the drain's end: the shutdown
 * has started, background work is not awaited yet. Or in another phase, given.
 */
public abstract class StopAction implements SmartLifecycle {

	private final int phase;

	private volatile boolean running;

	/**
	 * Create an action stopped at the drain's end.
	 */
	protected StopAction() {
		this(ShutdownTimeline.DRAIN_END.phase());
	}

	/**
	 * Create an action stopped in a phase of its own.
	 * @param phase the lifecycle phase
	 */
	protected StopAction(int phase) {
		this.phase = phase;
	}

	/**
	 * Act in the middle of the shutdown, before the tasks step.
	 */
	protected abstract void onStop();

	@Override
	public void start() {
		this.running = true;
	}

	@Override
	public void stop() {
		this.running = false;
		onStop();
	}

	@Override
	public boolean isRunning() {
		return this.running;
	}

	@Override
	public int getPhase() {
		return this.phase;
	}

}
