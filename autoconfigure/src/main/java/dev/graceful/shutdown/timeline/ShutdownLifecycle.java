package dev.graceful.shutdown.timeline;

import org.springframework.context.SmartLifecycle;

/**
 * Base of the lifecycle beans that make up the shutdown steps: started with the
 * application, run once in the phase of their {@link ShutdownTimeline stage} when the
 * application shuts down (Spring stops higher phases first, one phase at a time), never
 * paused. A plain {@code context.stop()} is not a shutdown: the step stays running, so
 * that a later {@code close()} still runs it.
 */
public abstract class ShutdownLifecycle implements SmartLifecycle {

	private final int phase;

	private final ShutdownRecorder progress;

	private volatile boolean running;

	/**
	 * Create a lifecycle that runs in the phase of a stage of the timeline.
	 * @param stage the stage
	 * @param progress the record of the shutdown, which tells whether it has started
	 */
	protected ShutdownLifecycle(ShutdownTimeline stage, ShutdownRecorder progress) {
		this.phase = stage.phase();
		this.progress = progress;
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

	/**
	 * Called on the thread that begins the shutdown, as soon as it begins, if this
	 * lifecycle was passed to {@link ShutdownRecorder#onBegin(ShutdownLifecycle)}.
	 */
	protected void onBegin() {
	}

	final void began() {
		onBegin();
	}

	@Override
	public final void stop() {
		if (this.progress.isShuttingDown()) {
			this.running = false;
			onShutdown();
		}
	}

	/**
	 * Called in this lifecycle's phase once the application is shutting down.
	 */
	protected abstract void onShutdown();

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
