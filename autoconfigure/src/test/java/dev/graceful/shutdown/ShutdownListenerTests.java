package dev.graceful.shutdown;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import dev.graceful.shutdown.ShutdownReport.Cleanup;
import dev.graceful.shutdown.ShutdownReport.Phase;
import dev.graceful.shutdown.autoconfigure.GracefulShutdownAutoConfiguration;
import dev.graceful.shutdown.timeline.ShutdownRecorder;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link ShutdownListener}: it hears each step, each cleanup and the end of
 * the shutdown, in order, on the shutdown thread.
 */
class ShutdownListenerTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner().withConfiguration(
			AutoConfigurations.of(GracefulShutdownAutoConfiguration.class));

	@Test
	void addedListenerHearsEachStepEachCleanupAndTheEndInOrder() {
		this.contextRunner.run((context) -> {
			RecordingListener listener = new RecordingListener();
			context.getBean(ShutdownRecorder.class).addListener(listener);
			ShutdownCleanups cleanups = context.getBean(ShutdownCleanups.class);
			cleanups.register("second", 2, null, () -> {
			});
			cleanups.register("first", 1, null, () -> {
				throw new IllegalStateException("boom");
			});
			ShutdownReports.close(context);
			assertThat(listener.events).containsExactly("step readiness COMPLETED", "step tasks COMPLETED",
					"cleanup first FAILED", "cleanup second COMPLETED", "step cleanup FAILED", "completed complete=true");
		});
	}

	@Test
	void failingListenerDoesNotStopTheOthersNorTheShutdown() {
		this.contextRunner.run((context) -> {
			ShutdownRecorder progress = context.getBean(ShutdownRecorder.class);
			progress.addListener(new ShutdownListener() {

				@Override
				public void stepEnded(Phase phase) {
					throw new IllegalStateException("listener failed");
				}

			});
			RecordingListener listener = new RecordingListener();
			progress.addListener(listener);
			ShutdownReport report = ShutdownReports.close(context);
			assertThat(report.complete()).isTrue();
			assertThat(listener.events).containsExactly("step readiness COMPLETED", "step tasks COMPLETED",
					"step cleanup SKIPPED", "completed complete=true");
		});
	}

	@Test
	void listenerBeanHearsTheShutdown() {
		this.contextRunner.withBean(RecordingListener.class).run((context) -> {
			RecordingListener listener = context.getBean(RecordingListener.class);
			ShutdownReports.close(context);
			assertThat(listener.events).containsExactly("step readiness COMPLETED", "step tasks COMPLETED",
					"step cleanup SKIPPED", "completed complete=true");
		});
	}

	static class RecordingListener implements ShutdownListener {

		final List<String> events = new CopyOnWriteArrayList<>();

		@Override
		public void stepEnded(Phase phase) {
			this.events.add("step " + phase.name() + " " + phase.outcome());
		}

		@Override
		public void cleanupEnded(Cleanup cleanup) {
			this.events.add("cleanup " + cleanup.name() + " " + cleanup.outcome());
		}

		@Override
		public void shutdownCompleted(ShutdownReport report) {
			this.events.add("completed complete=" + report.complete());
		}

	}

}
