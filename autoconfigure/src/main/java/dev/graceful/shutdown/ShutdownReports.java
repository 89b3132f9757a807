package dev.graceful.shutdown;

import java.util.Objects;

import org.springframework.context.ConfigurableApplicationContext;

/**
 * Test support: close an application context the way a SIGTERM would and get the report
 * of its shutdown, to assert on the order and outcome of your own cleanups and
 * background work.
 * <pre class="code">
 * ShutdownReport report = ShutdownReports.close(context);
 * assertThat(report.cleanups()).extracting(ShutdownReport.Cleanup::name)
 *     .containsExactly("cache.flush", "pool.close");
 * </pre>
 */
public final class ShutdownReports {

	private ShutdownReports() {
	}

	/**
	 * Close the context and return the report of its shutdown.
	 * @param context a context with the graceful shutdown starter enabled
	 * @return the final report
	 * @throws IllegalStateException if the context has no {@link ShutdownProgress}
	 * (the starter is disabled or absent)
	 */
	public static ShutdownReport close(ConfigurableApplicationContext context) {
		ShutdownProgress progress;
		try {
			progress = context.getBean(ShutdownProgress.class);
		}
		catch (RuntimeException ex) {
			throw new IllegalStateException(
					"No ShutdownProgress bean: is the graceful shutdown starter present and graceful.shutdown.enabled not false?",
					ex);
		}
		context.close();
		return Objects.requireNonNull(progress.report(), "The context was closed but no shutdown was recorded");
	}

}
